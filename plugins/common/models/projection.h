// DeepMarks' projection embedding: a fingerprint F (length v) is embedded into a layer by
// fine-tuning with  loss = task loss + μ · MSE(F, X w),  where w combines the layer's
// output channels (flattened, length β) and X (v × β, Gaussian) is the vendor's secret
// key. Extraction is F̂ = X w. DeepMarks takes w as the mean of the channels; a key may
// instead carry secret zero-sum unit weights s (w = Σ_j s_j W_j), which makes w immune
// to subtracting any vector common to all channels (the weight-shift removal attack).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/script.h>

#include "models/training.h"
#include "securemark/status.h"

namespace securemark::models {

// The vendor's secret: the projection X and, optionally, the unit weights s (undefined:
// the mean over units).
struct ProjectionKey {
  ProjectionKey() = default;
  ProjectionKey(torch::Tensor x, torch::Tensor unit_weights = {})  // NOLINT: a bare X is a key
      : x(std::move(x)), unit_weights(std::move(unit_weights)) {}
  torch::Tensor x;
  torch::Tensor unit_weights;
};

// w for `layer`, differentiable with respect to the layer's weight: the mean over its
// units, or Σ_j s_j W_j for unit weights s (one per unit).
StatusOr<torch::Tensor> LayerSignal(torch::jit::Module& model, const std::string& layer,
                                    const torch::Tensor& unit_weights = {});

// Balanced ±1/n weights summing to zero (one zero for odd n): +1/n on the units listed
// first in `order` (a permutation of 0..n-1), -1/n on the next n/2.
torch::Tensor UnitWeightsInOrder(const std::vector<int64_t>& order);
// The same in an order drawn from `seed` (tests and benchmarks; keys use a secret order).
torch::Tensor MakeUnitWeights(int64_t units, uint64_t seed);

// A layer carrying β values holds at most a β-entry fingerprint (X must have full row rank).
Status CheckFingerprintFits(int64_t fingerprint_length, int64_t signal_length,
                            const std::string& layer);

// The factor 1/‖w₀‖ for a key read from `weight` (w₀ its keyed signal): a Gaussian key
// scaled by it reads the unmarked layer with entries of standard deviation 1, the
// fingerprint's own scale. An unscaled N(0, 1) key (DeepMarks) asks w for entries of order
// 1 whatever the layer's natural size; on a BatchNorm ResNet's 3x3 conv that moved the
// layer by half its norm. The scaled key needs a change of order ‖w₀‖·√(v/β) instead.
// InvalidArgument for a layer whose signal is zero.
StatusOr<double> LayerKeyScale(const torch::Tensor& weight, const torch::Tensor& unit_weights,
                               const std::string& layer);

torch::Tensor MakeProjectionKey(int64_t fingerprint_length, int64_t signal_length, uint64_t seed);

// The fingerprint term μ · MSE(F, X w) / mean(X²) a trainer adds to its task loss. It is
// measured in the key's units: a key scaled by c (LayerKeyScale) would otherwise steepen it
// by c² and make the same μ and learning rate diverge. Fine-tuning (EmbedFingerprint) and
// training from scratch (server_trainer.split) add this one term.
class FingerprintTerm {
 public:
  // InvalidArgument when the key does not fit the fingerprint or the layer.
  static StatusOr<FingerprintTerm> Make(torch::jit::Module& model, ProjectionKey key,
                                        const torch::Tensor& fingerprint, std::string layer,
                                        double mu);
  // Differentiable with respect to the layer's weight.
  torch::Tensor Loss(torch::jit::Module& model) const;
  double Mse(torch::jit::Module& model) const;
  // The least-norm change that makes X w = F exactly; returns its L2 norm.
  StatusOr<double> Correct(torch::jit::Module& model) const;
  const std::string& layer() const { return layer_; }
  double mu() const { return mu_; }

 private:
  FingerprintTerm() = default;
  ProjectionKey key_;
  torch::Tensor target_;
  std::string layer_;
  double mu_ = 0, key_energy_ = 1;
};

struct EmbedOptions {
  std::string layer;
  // w averages the layer's output channels, which scales the fingerprint term's gradient on
  // each weight down by their number; measured on fc900's fc2 (900 outputs): μ = 1 left
  // the fingerprint MSE at 0.76 after an epoch, μ = 100 reached 0.0004 in two.
  double mu = 100.0;
  int64_t epochs = 1;
  int64_t max_batches = 0;  // per epoch; 0: the whole data
  int64_t batch_size = 64;
  double learning_rate = 0.01;
  // Layers whose parameters fine-tune; empty: every parameter.
  std::vector<std::string> train_layers;
  uint64_t seed = 0;
  // After fine-tuning, move w by the smallest change that makes X w = F exactly (the
  // minimum-norm solution, added to every output channel alike). Fine-tuning alone leaves
  // a residual that the task gradient keeps stirring; measured on Fashion-MNIST with 40
  // steps it was MSE 0.01, enough to make the hard-threshold detector accuse innocents.
  bool exact = true;
  // Called after every fine-tuning step with (steps done, steps planned).
  std::function<void(int64_t, int64_t)> on_step;
};

struct EmbedReport {
  double task_loss = 0;
  int64_t steps = 0;
  double fingerprint_mse = 0;  // after embedding (and the exact correction, if any)
  double fine_tuned_mse = 0;   // after fine-tuning alone
  double correction_norm = 0;  // L2 norm of the change the exact correction made to w
};

// Fine-tunes `model` in place. Refuses a fingerprint longer than the layer's signal, and a
// key whose shape does not match.
StatusOr<EmbedReport> EmbedFingerprint(torch::jit::Module& model, const torch::Tensor& fingerprint,
                                       const ProjectionKey& key, const Dataset& data,
                                       const EmbedOptions& options);

// The same on any inputs: `x` and `y` give the number of examples and the labels, and
// `logits` computes the model's output for the examples at some indices — e.g. the tail of
// a split model on cached hidden states, so that only the tail fine-tunes.
using BatchLogits = std::function<torch::Tensor(const torch::Tensor& indices)>;
StatusOr<EmbedReport> EmbedFingerprint(torch::jit::Module& model, const torch::Tensor& fingerprint,
                                       const ProjectionKey& key, const torch::Tensor& x,
                                       const torch::Tensor& y, const BatchLogits& logits,
                                       const EmbedOptions& options);

// Moves the layer's weights by the least-norm change that makes X w = F exactly (added to
// every output channel alike); returns the L2 norm of that change.
StatusOr<double> CorrectExactly(torch::jit::Module& model, const ProjectionKey& key,
                                const torch::Tensor& fingerprint, const std::string& layer);

StatusOr<torch::Tensor> ExtractFingerprint(torch::jit::Module& model, const ProjectionKey& key,
                                           const std::string& layer);

// The layer signal w the key reads; InvalidArgument when the key does not fit the layer.
StatusOr<torch::Tensor> KeyedSignal(torch::jit::Module& model, const ProjectionKey& key,
                                    const std::string& layer);

}  // namespace securemark::models
