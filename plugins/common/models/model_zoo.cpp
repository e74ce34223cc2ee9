#include "models/model_zoo.h"

#include <torch/torch.h>

namespace securemark::models {
namespace {

// PyTorch's default initialisation for conv and linear layers (Kaiming uniform, a=√5).
void AddLayer(torch::jit::Module& m, const std::string& name, std::vector<int64_t> weight_shape) {
  int64_t fan_in = 1;
  for (size_t i = 1; i < weight_shape.size(); ++i) fan_in *= weight_shape[i];
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  torch::Tensor w = torch::empty(weight_shape).uniform_(-bound, bound);
  torch::Tensor b = torch::empty({weight_shape[0]}).uniform_(-bound, bound);
  m.register_parameter(name + "_weight", w.set_requires_grad(true), false);
  m.register_parameter(name + "_bias", b.set_requires_grad(true), false);
}

}  // namespace

std::vector<std::string> ModelNames() { return {"deepmarks_cnn", "fc900"}; }

StatusOr<torch::jit::Module> BuildModel(const std::string& name, int64_t channels, int64_t height,
                                        int64_t width, int64_t classes, uint64_t seed) {
  torch::manual_seed(seed);
  torch::jit::Module m(name);
  if (name == "deepmarks_cnn") {
    const int64_t h = ((height - 4) / 2) - 4, w = ((width - 4) / 2) - 4;
    if (h < 1 || w < 1) return InvalidArgumentError("deepmarks_cnn needs inputs of at least 14x14");
    AddLayer(m, "conv1", {32, channels, 3, 3});
    AddLayer(m, "conv2", {32, 32, 3, 3});
    AddLayer(m, "conv3", {64, 32, 3, 3});
    AddLayer(m, "conv4", {64, 64, 3, 3});
    AddLayer(m, "fc1", {512, 64 * h * w});
    AddLayer(m, "fc2", {classes, 512});
    m.define(R"(
def forward(self, x):
    x = torch.relu(torch.conv2d(x, self.conv1_weight, self.conv1_bias))
    x = torch.relu(torch.conv2d(x, self.conv2_weight, self.conv2_bias))
    x = torch.max_pool2d(x, [2, 2])
    x = torch.relu(torch.conv2d(x, self.conv3_weight, self.conv3_bias))
    x = torch.relu(torch.conv2d(x, self.conv4_weight, self.conv4_bias))
    x = torch.relu(torch.matmul(x.flatten(1), self.fc1_weight.t()) + self.fc1_bias)
    return torch.matmul(x, self.fc2_weight.t()) + self.fc2_bias
)");
    return m;
  }
  if (name == "fc900") {
    AddLayer(m, "fc1", {900, channels * height * width});
    AddLayer(m, "fc2", {900, 900});
    AddLayer(m, "fc3", {900, 900});
    AddLayer(m, "fc4", {900, 900});
    AddLayer(m, "fc5", {classes, 900});
    m.define(R"(
def forward(self, x):
    x = x.flatten(1)
    x = torch.relu(torch.matmul(x, self.fc1_weight.t()) + self.fc1_bias)
    x = torch.relu(torch.matmul(x, self.fc2_weight.t()) + self.fc2_bias)
    x = torch.relu(torch.matmul(x, self.fc3_weight.t()) + self.fc3_bias)
    x = torch.relu(torch.matmul(x, self.fc4_weight.t()) + self.fc4_bias)
    return torch.matmul(x, self.fc5_weight.t()) + self.fc5_bias
)");
    return m;
  }
  std::string known;
  for (const auto& n : ModelNames()) known += (known.empty() ? "" : ", ") + n;
  return NotFoundError("unknown model '" + name + "' (known: " + known + ")");
}

std::vector<std::string> LayerNames(const torch::jit::Module& model) {
  std::vector<std::string> names;
  for (const auto& p : model.named_parameters(/*recurse=*/false)) {
    const std::string& n = p.name;
    const size_t cut = n.rfind("_weight");
    if (cut != std::string::npos && cut + 7 == n.size()) names.push_back(n.substr(0, cut));
  }
  return names;
}

}  // namespace securemark::models
