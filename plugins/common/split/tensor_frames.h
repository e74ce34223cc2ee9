// Tensors inside party messages: the header lists {name, dtype, shape} per tensor and one
// payload frame carries each tensor's bytes. Decoding trusts nothing: counts, dtypes,
// shapes, byte sizes and finiteness are checked, and expected shapes can be enforced.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "securemark/message.h"
#include "securemark/values.h"

namespace securemark::split {

inline constexpr int64_t kMaxTensorDims = 4;
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 26;

void AddTensor(Message& message, const std::string& name, const torch::Tensor& tensor);

// The message's tensors in order; `expected_names`, when given, must match exactly.
StatusOr<std::vector<torch::Tensor>> TensorsOf(const Message& message,
                                               const std::vector<std::string>& expected_names = {});

// A float32 or int64 torch tensor as an SDK tensor (for outputs), and back.
Tensor ToSdkTensor(const torch::Tensor& t);
StatusOr<torch::Tensor> FromSdkTensor(const Tensor& t);

// Shape check with a readable message: "hidden has shape [3, 5], expected [3, 900]".
Status ExpectShape(const torch::Tensor& t, const std::string& what, std::vector<int64_t> shape);

}  // namespace securemark::split
