// Checkpoints into TorchScript modules: the weights come from the project's own reader
// (state_dict_reader.h); LibTorch only receives finished tensors.
#include <torch/script.h>

#include "models/model_zoo.h"
#include "models/state_dict_reader.h"

namespace securemark::models {
namespace {

StatusOr<torch::ScalarType> ScalarTypeOf(const std::string& dtype) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"Float", torch::kFloat32},     {"Double", torch::kFloat64}, {"Half", torch::kFloat16},
      {"BFloat16", torch::kBFloat16}, {"Long", torch::kInt64},     {"Int", torch::kInt32},
      {"Short", torch::kInt16},       {"Char", torch::kInt8},      {"Byte", torch::kUInt8},
      {"Bool", torch::kBool}};
  auto it = kTypes.find(dtype);
  if (it == kTypes.end()) return DataLossError("unknown storage type " + dtype);
  return it->second;
}

// A copy of the tensor the checkpoint describes (the reader checked its view's bounds).
StatusOr<torch::Tensor> ToTensor(const StateDict& state, const CheckpointTensor& t) {
  SM_ASSIGN_OR_RETURN(torch::ScalarType type, ScalarTypeOf(t.dtype));
  const std::string& bytes = state.storages.at(t.storage);
  const int64_t numel = static_cast<int64_t>(bytes.size()) / ElementSize(t.dtype);
  torch::Tensor storage =
      torch::from_blob(const_cast<char*>(bytes.data()), {numel}, torch::TensorOptions(type));
  return storage.as_strided(t.shape, t.stride, t.offset).clone();
}

}  // namespace

StatusOr<torch::jit::Module> LoadCheckpoint(const std::string& bytes,
                                            const torch::jit::Module& architecture) {
  std::vector<std::string> parameters, buffers;
  for (const auto& p : architecture.named_parameters(/*recurse=*/true))
    parameters.push_back(p.name);
  for (const auto& b : architecture.named_buffers(/*recurse=*/true)) buffers.push_back(b.name);
  StatusOr<StateDict> state = ReadStateDict(bytes, parameters, buffers);
  if (!state.ok()) return state.status().WithContext("cannot load the checkpoint");
  torch::jit::Module model = architecture.clone();
  torch::NoGradGuard no_grad;
  auto fill = [&](const std::string& name, torch::Tensor target) -> Status {
    auto it = state->tensors.find(name);
    if (it == state->tensors.end()) return OkStatus();  // an optional buffer
    SM_ASSIGN_OR_RETURN(torch::Tensor value, ToTensor(*state, it->second));
    if (value.sizes() != target.sizes()) {
      return DataLossError("checkpoint tensor '" + name + "' has shape " + c10::str(value.sizes()) +
                           ", the reference has " + c10::str(target.sizes()));
    }
    target.copy_(value.to(target.dtype()));
    return OkStatus();
  };
  for (const auto& p : model.named_parameters(/*recurse=*/true))
    SM_RETURN_IF_ERROR(fill(p.name, p.value));
  for (const auto& b : model.named_buffers(/*recurse=*/true))
    SM_RETURN_IF_ERROR(fill(b.name, b.value));
  model.eval();
  return model;
}

Status CheckFinite(const torch::jit::Module& model) {
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    const int64_t bad = (~torch::isfinite(p.value)).sum().item<int64_t>();
    if (bad > 0) {
      return InvalidArgumentError("parameter '" + p.name + "' has " + std::to_string(bad) + " of " +
                                  std::to_string(p.value.numel()) +
                                  " values that are NaN or infinite; no verdict can rest on it");
    }
  }
  return OkStatus();
}

}  // namespace securemark::models
