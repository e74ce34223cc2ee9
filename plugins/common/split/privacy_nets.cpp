#include "split/privacy_nets.h"

#include <cmath>

namespace securemark::split {

StatusOr<torch::jit::Module> MakeMlpDefender(int64_t features, int variant, uint64_t seed) {
  if (variant < 0 || variant > kDefenderVariants)
    return InvalidArgumentError("defender variant must be in [0, 4], got " +
                                std::to_string(variant));
  if (features < 2) return InvalidArgumentError("a defender needs at least 2 features");
  torch::manual_seed(seed);
  torch::jit::Module m("Defender" + std::to_string(variant));
  std::vector<int64_t> widths = {features};
  if (variant >= 1 && variant <= 3) {
    for (int i = 0; i < variant; ++i) widths.push_back(features);
  } else if (variant == 4) {
    widths = {features, features / 2, features};
  }
  std::string body = "    h = x\n";
  for (size_t i = 1; i < widths.size(); ++i) {
    const std::string n = std::to_string(i);
    // Near-identity initialisation: a defender starts by passing the hidden state through
    // and learns to distort it, so training does not begin from noise.
    torch::Tensor w = torch::randn({widths[i], widths[i - 1]}) * (0.1 / std::sqrt(widths[i - 1]));
    if (widths[i] == widths[i - 1]) w += torch::eye(widths[i]);
    m.register_parameter("d" + n + "_weight", w, false);
    m.register_parameter("d" + n + "_bias", torch::zeros({widths[i]}), false);
    body +=
        "    h = torch.relu(torch.matmul(h, self.d" + n + "_weight.t()) + self.d" + n + "_bias)\n";
  }
  m.define("def forward(self, x):\n" + body + "    return h\n");
  return m;
}

StatusOr<std::vector<int64_t>> AttackWidths(int variant) {
  static const std::vector<std::vector<int64_t>> kWidths = {{},           {512},
                                                            {1024},       {512, 512},
                                                            {1024, 1024}, {1024, 512, 1024},
                                                            {2048, 1024}, {2048, 2048, 1024}};
  if (variant < 1 || variant > kAttackVariants)
    return InvalidArgumentError("attack variant must be in [1, 8], got " + std::to_string(variant));
  return kWidths[variant - 1];
}

StatusOr<torch::nn::Sequential> MakeInverter(int variant, int64_t features, int64_t channels,
                                             int64_t height, int64_t width) {
  SM_ASSIGN_OR_RETURN(std::vector<int64_t> widths, AttackWidths(variant));
  torch::nn::Sequential net;
  int64_t in = features;
  for (int64_t w : widths) {
    net->push_back(torch::nn::Linear(in, w));
    net->push_back(torch::nn::ReLU());
    in = w;
  }
  net->push_back(torch::nn::Linear(in, channels * height * width));
  net->push_back(torch::nn::Sigmoid());
  net->push_back(torch::nn::Unflatten(1, std::vector<int64_t>{channels, height, width}));
  return net;
}

namespace {

torch::Tensor GaussianWindow(int64_t channels) {
  const int size = 11;
  const double sigma = 1.5;
  torch::Tensor g = torch::arange(size, torch::kFloat) - (size - 1) / 2.0;
  g = torch::exp(-(g * g) / (2 * sigma * sigma));
  g = g / g.sum();
  torch::Tensor w = torch::outer(g, g);
  return w.expand({channels, 1, size, size}).contiguous();
}

}  // namespace

StatusOr<torch::Tensor> ReconstructionDistance(const torch::Tensor& x, const torch::Tensor& y,
                                               const std::string& metric) {
  if (!x.sizes().equals(y.sizes()) || x.dim() != 4)
    return InvalidArgumentError("images to compare must both be [N, C, H, W]");
  if (metric == "mse") return torch::mse_loss(y, x);
  if (metric != "ssim")
    return InvalidArgumentError("unknown distance '" + metric + "'; use mse or ssim");
  if (x.size(2) < 11 || x.size(3) < 11)
    return InvalidArgumentError("SSIM needs images of 11x11 or more");
  const int64_t c = x.size(1);
  const torch::Tensor w = GaussianWindow(c).to(x.dtype());
  auto filter = [&](const torch::Tensor& t) {
    // No padding: only the interior, as skimage crops the border.
    return torch::conv2d(t, w, torch::Tensor(), torch::IntArrayRef{1, 1}, torch::IntArrayRef{0, 0},
                         torch::IntArrayRef{1, 1}, c);
  };
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const torch::Tensor mx = filter(x), my = filter(y);
  const torch::Tensor vx = filter(x * x) - mx * mx, vy = filter(y * y) - my * my;
  const torch::Tensor cov = filter(x * y) - mx * my;
  const torch::Tensor ssim =
      ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  return 1 - ssim.mean();
}

}  // namespace securemark::split
