// The networks of privacy partitioning (SecureMark-DL §privacy, our restatement where the
// paper gives no layer sizes):
// - defenders, applied by a data owner to its hidden states before they leave it:
//   Defender1 one ReLU layer, Defender2 two, Defender3 three, Defender4 a half-width
//   bottleneck and back (all width-preserving, so the server's layers fit either way);
// - inverters, an adversary's decoders from hidden states back to images: Attack1-8 are
//   MLPs of growing depth and width ending in a sigmoid (pixels in [0, 1]).
// Defenders are TorchScript modules (plugins build them, owners train them); inverters
// are C++ modules that only ever live inside one process.
#pragma once

#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "securemark/status.h"

namespace securemark::split {

inline constexpr int kDefenderVariants = 4;
inline constexpr int kAttackVariants = 8;

// With noise > 0 a defender ends with a noisy channel: each example's output is scaled to
// unit root-mean-square and N(0, noise^2) is added to every value, freshly on each call.
// That caps what the hidden states can say about an image whatever the attacker learns,
// where a deterministic, near-invertible defender only changes which inverse is learnt.

// variant 0 is the identity (no defence; with noise, the noisy channel alone).
StatusOr<torch::jit::Module> MakeMlpDefender(int64_t features, int variant, uint64_t seed,
                                             double noise = 0);
// For convolutional cuts, hidden [N, C, H, W] -> same: variant 1-3 stack 1-3 pairs of a
// 3x3 convolution and a 3x3 transposed convolution (each followed by ReLU), variant 4 a
// half-channel bottleneck pair. Initialised near the identity like the MLP defenders.
StatusOr<torch::jit::Module> MakeDeconvDefender(const std::vector<int64_t>& shape, int variant,
                                                uint64_t seed, double noise = 0);
// The noise a defender's channel adds (0 for one without, or not made here).
double DefenderNoise(const torch::jit::Module& defender);

// Layer widths of Attack`variant` between the hidden state and the image: MLP widths for
// flat hidden states, channel counts of transposed convolutions for [C, H, W] ones.
StatusOr<std::vector<int64_t>> AttackWidths(int variant, bool deconv = false);
// An MLP inverter for hidden_shape {features}; a deconvolutional one (bilinear upsampling
// to the image size, then transposed convolutions) for {C, H, W}.
StatusOr<torch::nn::Sequential> MakeInverter(int variant, const std::vector<int64_t>& hidden_shape,
                                             int64_t channels, int64_t height, int64_t width);

// Differentiable distances between image batches [N, C, H, W] in [0, 1]: "mse", or "ssim"
// (1 - SSIM with an 11x11 Gaussian window, sigma 1.5, constants of Wang et al.; the same
// definition as metrics/image_metrics, averaged over the interior of each image).
StatusOr<torch::Tensor> ReconstructionDistance(const torch::Tensor& original,
                                               const torch::Tensor& reconstruction,
                                               const std::string& metric);

}  // namespace securemark::split
