// A model seen as a chain of linear and convolutional layers (the zoo's fc900 and
// deepmarks_cnn, or any plain stack saved from PyTorch): unit j of one layer (a neuron or
// an output channel) feeds a group of columns of the next one (one column, one input
// channel, or h·w columns after flattening). On such chains:
// - function-preserving re-parameterisation, the attack that moves a fingerprint's
//   weights without changing what the model computes: permute units, rescale them
//   (ReLU and max pooling commute with positive scaling), add dummy units that cancel;
// - alignment, the vendor's answer: map every unit of a suspect back to the reference
//   model's unit it came from (by weight similarity), undo its scale, drop the dummies;
// - the weight-shift removal attack: subtract a multiple of the mean over a layer's units.
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

#include "securemark/status.h"

namespace securemark::models {

struct ChainLayer {
  std::string name;    // layer name, as LayerNames() gives it
  std::string weight;  // qualified parameter names
  std::string bias;    // empty when the layer has none
};

// Refuses models with other parameters (batch norm, residual shortcuts), which these
// transformations would not preserve.
StatusOr<std::vector<ChainLayer>> LayerChain(const torch::jit::Module& model);

struct ReparamOptions {
  std::vector<std::string> layers;  // hidden layers to transform (empty: all hidden ones)
  bool permute = true;
  double min_scale = 1.0, max_scale = 1.0;  // log-uniform positive scales per unit
  int64_t dummy_pairs = 0;                  // pairs of cancelling units per layer
  uint64_t seed = 0;
};

// Transforms `model` in place; its outputs stay the same (up to float rounding).
Status Reparameterise(torch::jit::Module& model, const ReparamOptions& options);

struct AlignmentReport {
  int64_t units_moved = 0;      // units found at another position than in the reference
  int64_t dummies_dropped = 0;  // suspect units matched to no reference unit
  double mean_similarity = 0;   // mean cosine similarity of matched units
};

// Rewrites `suspect` into the reference's layout: same unit order, scales and shapes.
StatusOr<AlignmentReport> AlignToReference(torch::jit::Module& suspect,
                                           const torch::jit::Module& reference);

// W <- W - alpha * mean over units (rows / output channels) of `layer`.
Status ShiftWeights(torch::jit::Module& model, const std::string& layer, double alpha);

// Replaces a parameter, possibly with another shape (TorchScript code reads shapes from
// the tensors, so the chain's forward() still runs).
Status SetParameter(torch::jit::Module& model, const std::string& qualified_name,
                    const torch::Tensor& value);

}  // namespace securemark::models
