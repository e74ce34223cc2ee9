#include "split/privacy_nets.h"

#include <cmath>

namespace securemark::split {

namespace {

// The noisy channel every defender may end with: each example's hidden state is scaled to
// unit root-mean-square and Gaussian noise of standard deviation `noise` is added. The
// scaling is what makes the noise count: without it the head could outgrow any fixed
// noise at no cost. Fresh noise is drawn on every call, so whoever queries the defender
// (owner or adversary) sees what the server would.
Status AddNoisyChannel(torch::jit::Module& m, std::string& body, double noise, size_t dims) {
  if (!(noise >= 0) || !std::isfinite(noise))
    return InvalidArgumentError("defender noise must be finite and >= 0, got " +
                                std::to_string(noise));
  m.register_attribute("securemark_noise", c10::FloatType::get(), noise);
  if (noise == 0) return OkStatus();
  const std::string view = dims == 1 ? "r.unsqueeze(1)" : "r.view(-1, 1, 1, 1)";
  body +=
      "    f = h.flatten(1)\n"
      "    r = ((f * f).mean(1) + 1e-12).sqrt()\n"
      "    h = h / " +
      view +
      "\n"
      "    h = h + self.securemark_noise * torch.randn_like(h)\n";
  return OkStatus();
}

}  // namespace

double DefenderNoise(const torch::jit::Module& defender) {
  return defender.hasattr("securemark_noise") ? defender.attr("securemark_noise").toDouble() : 0.0;
}

StatusOr<torch::jit::Module> MakeMlpDefender(int64_t features, int variant, uint64_t seed,
                                             double noise) {
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
  SM_RETURN_IF_ERROR(AddNoisyChannel(m, body, noise, 1));
  m.define("def forward(self, x):\n" + body + "    return h\n");
  return m;
}

StatusOr<torch::jit::Module> MakeDeconvDefender(const std::vector<int64_t>& shape, int variant,
                                                uint64_t seed, double noise) {
  if (variant < 1 || variant > kDefenderVariants)
    return InvalidArgumentError("deconv defender variant must be in [1, 4], got " +
                                std::to_string(variant));
  if (shape.size() != 3 || shape[0] < 2)
    return InvalidArgumentError("a deconv defender needs hidden states [C >= 2, H, W]");
  torch::manual_seed(seed);
  const int64_t c = shape[0];
  std::vector<int64_t> widths;  // channels after each conv / deconv
  if (variant <= 3) {
    for (int i = 0; i < variant; ++i) widths.insert(widths.end(), {c, c});
  } else {
    widths = {c / 2, c};
  }
  torch::jit::Module m("DeconvDefender" + std::to_string(variant));
  std::string body = "    h = x\n";
  int64_t in = c;
  for (size_t i = 0; i < widths.size(); ++i) {
    const bool transposed = i % 2 == 1;
    const std::string n = std::to_string(i + 1);
    // conv2d weights are [out, in, 3, 3], conv_transpose2d weights [in, out, 3, 3].
    torch::Tensor w =
        transposed ? torch::randn({in, widths[i], 3, 3}) : torch::randn({widths[i], in, 3, 3});
    w *= 0.1 / std::sqrt(static_cast<double>(in * 9));
    if (widths[i] == in) {
      torch::NoGradGuard no_grad;
      for (int64_t k = 0; k < in; ++k) w[k][k][1][1] += 1.0;  // pass-through at the centre
    }
    m.register_parameter("d" + n + "_weight", w, false);
    m.register_parameter("d" + n + "_bias", torch::zeros({widths[i]}), false);
    body += std::string("    h = torch.relu(torch.") +
            (transposed ? "conv_transpose2d" : "conv2d") + "(h, self.d" + n + "_weight, self.d" +
            n + "_bias, 1, 1))\n";
    in = widths[i];
  }
  SM_RETURN_IF_ERROR(AddNoisyChannel(m, body, noise, 3));
  m.define("def forward(self, x):\n" + body + "    return h\n");
  return m;
}

StatusOr<std::vector<int64_t>> AttackWidths(int variant, bool deconv) {
  static const std::vector<std::vector<int64_t>> kWidths = {{},           {512},
                                                            {1024},       {512, 512},
                                                            {1024, 1024}, {1024, 512, 1024},
                                                            {2048, 1024}, {2048, 2048, 1024}};
  static const std::vector<std::vector<int64_t>> kChannels = {
      {16}, {32}, {32, 16}, {64, 32}, {64, 64}, {64, 32, 16}, {128, 64}, {128, 64, 32}};
  if (variant < 1 || variant > kAttackVariants)
    return InvalidArgumentError("attack variant must be in [1, 8], got " + std::to_string(variant));
  return deconv ? kChannels[variant - 1] : kWidths[variant - 1];
}

StatusOr<torch::nn::Sequential> MakeInverter(int variant, const std::vector<int64_t>& hidden_shape,
                                             int64_t channels, int64_t height, int64_t width) {
  if (hidden_shape.size() != 1 && hidden_shape.size() != 3)
    return InvalidArgumentError("an inverter takes hidden states {features} or {C, H, W}");
  const bool deconv = hidden_shape.size() == 3;
  SM_ASSIGN_OR_RETURN(std::vector<int64_t> widths, AttackWidths(variant, deconv));
  torch::nn::Sequential net;
  if (deconv) {
    net->push_back(torch::nn::Upsample(torch::nn::UpsampleOptions()
                                           .size(std::vector<int64_t>{height, width})
                                           .mode(torch::kBilinear)
                                           .align_corners(false)));
    int64_t in = hidden_shape[0];
    for (int64_t w : widths) {
      net->push_back(
          torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, w, 3).padding(1)));
      net->push_back(torch::nn::ReLU());
      in = w;
    }
    net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, channels, 3).padding(1)));
    net->push_back(torch::nn::Sigmoid());
    return net;
  }
  int64_t in = hidden_shape[0];
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
