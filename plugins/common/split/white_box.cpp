#include "split/white_box.h"

namespace securemark::split {

namespace {

torch::Tensor TotalVariation(const torch::Tensor& x) {
  using torch::indexing::Slice;
  const torch::Tensor dy = x.index({Slice(), Slice(), Slice(1), Slice()}) -
                           x.index({Slice(), Slice(), Slice(0, -1), Slice()});
  const torch::Tensor dx = x.index({Slice(), Slice(), Slice(), Slice(1)}) -
                           x.index({Slice(), Slice(), Slice(), Slice(0, -1)});
  return dy.abs().mean() + dx.abs().mean();
}

}  // namespace

torch::Tensor WhiteBoxRefine(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                             const torch::Tensor& observed, const torch::Tensor& start,
                             const WhiteBoxOptions& options,
                             const std::function<bool()>& cancelled) {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < start.size(0); i += options.chunk) {
    const torch::Tensor target = observed.slice(0, i, i + options.chunk).detach();
    const torch::Tensor energy = target.pow(2).mean().clamp_min(1e-12);
    // The logit of the starting image, so the sigmoid gives it back at step 0.
    torch::Tensor u = torch::logit(start.slice(0, i, i + options.chunk).detach(), 1e-3)
                          .clone()
                          .set_requires_grad(true);
    torch::optim::Adam optimizer({u}, torch::optim::AdamOptions(options.lr));
    for (int64_t step = 0; step < options.steps && !cancelled(); ++step) {
      optimizer.zero_grad();
      const torch::Tensor x = torch::sigmoid(u);
      const torch::Tensor loss =
          (forward(x) - target).pow(2).mean() / energy + options.tv * TotalVariation(x);
      loss.backward();
      optimizer.step();
    }
    torch::NoGradGuard no_grad;
    out.push_back(torch::sigmoid(u));
  }
  return torch::cat(out);
}

}  // namespace securemark::split
