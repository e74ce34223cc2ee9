// Builds a torch::jit::Module layer by layer: each call registers a layer's parameters
// (and buffers) and appends the TorchScript line that applies it, so an architecture
// reads like its paper's description. Finish() compiles forward().
//
// Parameter names are "<layer>_weight", "<layer>_bias", "<layer>_running_mean" ...: TorchScript
// attributes cannot contain dots, and flat names keep the module one class that PyTorch
// loads without our source.
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

namespace securemark::models {

class ScriptBuilder {
 public:
  // Registers the input normalisation buffers (per channel, default mean 0, std 1) and
  // the "training" flag the batch-norm layers read.
  ScriptBuilder(torch::jit::Module& module, int64_t channels);

  // Each appends `out = f(in)` and returns `out`, a fresh variable name.
  std::string Conv(const std::string& layer, const std::string& in, int64_t in_channels,
                   int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                   bool bias = true);
  std::string BatchNorm(const std::string& layer, const std::string& in, int64_t features);
  std::string Linear(const std::string& layer, const std::string& in, int64_t in_features,
                     int64_t out_features);
  // A TorchScript expression of `in`, e.g. Apply("torch.relu({})", x).
  std::string Apply(const std::string& pattern, const std::string& in);
  std::string Add(const std::string& a, const std::string& b);

  // The normalised input variable.
  const std::string& input() const { return input_; }
  // Compiles forward() returning `out`.
  void Finish(const std::string& out);

 private:
  std::string Assign(const std::string& expression);

  torch::jit::Module& module_;
  std::vector<std::string> lines_;
  std::string input_;
  int counter_ = 0;
};

}  // namespace securemark::models
