// White-box model inversion (He et al., "Model inversion attacks against collaborative
// inference", rMLE): an adversary who can run the owner's head and defender searches for
// the image whose hidden state matches the one it observed. Gradient descent on the
// image, kept in [0, 1] through a sigmoid, minimises
//   ||defender(head(x)) - h||^2 / ||h||^2  +  tv * TV(x),
// with TV the mean absolute difference of neighbouring pixels, which favours natural
// images among the many a lossy head maps to the same place. Starting from a learned
// inverter's reconstruction rather than from grey, it can only refine what that inverter
// already recovers; it wins where the head is near-invertible and the inverter is blurry.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace securemark::split {

struct WhiteBoxOptions {
  int64_t steps = 200;
  double lr = 0.05;
  double tv = 0.01;
  int64_t chunk = 512;
};

// `forward` maps images [N, C, H, W] to what the server sees; it must be differentiable.
// Returns the refined images, same shape as `start`.
torch::Tensor WhiteBoxRefine(
    const std::function<torch::Tensor(const torch::Tensor&)>& forward,
    const torch::Tensor& observed, const torch::Tensor& start, const WhiteBoxOptions& options,
    const std::function<bool()>& cancelled = [] { return false; });

}  // namespace securemark::split
