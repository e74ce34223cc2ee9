// A zoo model cut after one of its layers for split learning: the head Θ_l (input
// normalisation and the layers up to the cut) runs on the data owners, the tail Θ_r on
// the server. Both halves compute with the parameters of one TorchScript module, so the
// model the server ends with is an ordinary zoo model: its forward() equals
// Tail(Head(x)) (checked in a test), and it can be fingerprinted, delivered and loaded
// in PyTorch like any other.
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

#include "securemark/status.h"

namespace securemark::split {

class SplitModel {
 public:
  // Architectures that can be cut: "fc900" after fc1..fc4, "deepmarks_cnn" after
  // conv1..conv4 (hidden states [C, H, W]) or fc1. Conv cuts need the input's
  // {channels, height, width} to know the hidden shape.
  static StatusOr<SplitModel> Make(torch::jit::Module model, const std::string& architecture,
                                   const std::string& after, std::vector<int64_t> input_shape = {});

  // With `snapshot`, the head computes with copies of its parameters, so that the
  // optimiser may update them before this batch's backward pass (pipelined rounds); the
  // gradients still reach the parameters.
  torch::Tensor Head(const torch::Tensor& images, bool snapshot = false) const;
  torch::Tensor Tail(const torch::Tensor& hidden) const;

  // Parameter names ("fc1_weight", ...) of each half, in layer order.
  const std::vector<std::string>& head_names() const { return head_names_; }
  const std::vector<std::string>& tail_names() const { return tail_names_; }
  std::vector<torch::Tensor> HeadParameters() const { return Tensors(head_names_); }
  std::vector<torch::Tensor> TailParameters() const { return Tensors(tail_names_); }
  // Copies values into the head's parameters (in head_names() order), keeping them leaves.
  Status SetHead(const std::vector<torch::Tensor>& values);
  int64_t hidden_features() const { return hidden_features_; }
  // Per example: {features} after a linear layer, {C, H, W} after a convolution.
  const std::vector<int64_t>& hidden_shape() const { return hidden_shape_; }
  torch::jit::Module& module() { return module_; }

 private:
  SplitModel() = default;
  std::vector<torch::Tensor> Tensors(const std::vector<std::string>& names) const;
  torch::Tensor Layers(torch::Tensor x, size_t from, size_t to, bool snapshot = false) const;

  torch::jit::Module module_;
  struct Layer {
    std::string name;
    bool conv = false;
    bool pool_after = false;  // 2x2 max pooling after the ReLU
  };
  std::vector<Layer> layers_;  // in order
  size_t cut_ = 0;             // layers_[0, cut_) form the head
  std::vector<std::string> head_names_, tail_names_;
  int64_t hidden_features_ = 0;
  std::vector<int64_t> hidden_shape_;
};

}  // namespace securemark::split
