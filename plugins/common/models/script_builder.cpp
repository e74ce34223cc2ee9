#include "models/script_builder.h"

#include <cmath>

#include <torch/torch.h>

namespace securemark::models {
namespace {

// PyTorch's default initialisation for conv and linear layers (Kaiming uniform, a=√5).
torch::Tensor Uniform(std::vector<int64_t> shape, int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return torch::empty(shape).uniform_(-bound, bound).set_requires_grad(true);
}

}  // namespace

ScriptBuilder::ScriptBuilder(torch::jit::Module& module, int64_t channels) : module_(module) {
  if (!module_.hasattr("training")) {
    module_.register_attribute("training", c10::BoolType::get(), true);
  }
  module_.register_buffer("input_mean", torch::zeros({1, channels, 1, 1}));
  module_.register_buffer("input_std", torch::ones({1, channels, 1, 1}));
  input_ = Assign("(x - self.input_mean) / self.input_std");
}

std::string ScriptBuilder::Assign(const std::string& expression) {
  std::string name = "h" + std::to_string(counter_++);
  lines_.push_back("    " + name + " = " + expression);
  return name;
}

std::string ScriptBuilder::Conv(const std::string& layer, const std::string& in,
                                int64_t in_channels, int64_t out_channels, int64_t kernel,
                                int64_t stride, int64_t padding, bool bias) {
  const int64_t fan_in = in_channels * kernel * kernel;
  module_.register_parameter(layer + "_weight",
                             Uniform({out_channels, in_channels, kernel, kernel}, fan_in), false);
  std::string bias_ref = "None";
  if (bias) {
    module_.register_parameter(layer + "_bias", Uniform({out_channels}, fan_in), false);
    bias_ref = "self." + layer + "_bias";
  }
  const std::string s = std::to_string(stride), p = std::to_string(padding);
  return Assign("torch.conv2d(" + in + ", self." + layer + "_weight, " + bias_ref + ", [" + s +
                ", " + s + "], [" + p + ", " + p + "])");
}

std::string ScriptBuilder::BatchNorm(const std::string& layer, const std::string& in,
                                     int64_t features) {
  module_.register_parameter(layer + "_weight", torch::ones({features}).set_requires_grad(true),
                             false);
  module_.register_parameter(layer + "_bias", torch::zeros({features}).set_requires_grad(true),
                             false);
  module_.register_buffer(layer + "_running_mean", torch::zeros({features}));
  module_.register_buffer(layer + "_running_var", torch::ones({features}));
  const std::string s = "self." + layer;
  return Assign("torch.batch_norm(" + in + ", " + s + "_weight, " + s + "_bias, " + s +
                "_running_mean, " + s + "_running_var, self.training, 0.1, 1e-5, False)");
}

std::string ScriptBuilder::Linear(const std::string& layer, const std::string& in,
                                  int64_t in_features, int64_t out_features) {
  module_.register_parameter(layer + "_weight", Uniform({out_features, in_features}, in_features),
                             false);
  module_.register_parameter(layer + "_bias", Uniform({out_features}, in_features), false);
  return Assign("torch.matmul(" + in + ".flatten(1), self." + layer + "_weight.t()) + self." +
                layer + "_bias");
}

std::string ScriptBuilder::Apply(const std::string& pattern, const std::string& in) {
  std::string expression = pattern;
  const size_t at = expression.find("{}");
  expression.replace(at, 2, in);
  return Assign(expression);
}

std::string ScriptBuilder::Add(const std::string& a, const std::string& b) {
  return Assign(a + " + " + b);
}

void ScriptBuilder::Finish(const std::string& out) {
  std::string source = "def forward(self, x):\n";
  for (const auto& line : lines_) source += line + "\n";
  source += "    return " + out + "\n";
  module_.define(source);
}

}  // namespace securemark::models
