// What a malicious customer does to a fingerprinted copy, as functions on TorchScript
// modules: pool several copies (collusion), fine-tune on a little data, prune by
// magnitude, re-parameterise, shift weights. The attacker plugins run one per step and
// evaluate.robustness hundreds in one step, both through Apply(); their parameters are
// declared once in attack_params.h.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/script.h>

#include "models/layer_chain.h"
#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::attacks {

// Writes the entry-wise average, median or a random copy's value ("average", "median",
// "random") of every parameter and buffer into copies[0]. Integer buffers keep copies[0]'s.
Status Pool(std::vector<torch::jit::Module>& copies, const std::string& method, uint64_t seed);

// The first round(fraction · n) examples of a seeded permutation of `data` (at least one).
Dataset Fraction(const Dataset& data, double fraction, uint64_t seed);

struct FineTuneOptions {
  double fraction = 0.1;  // share of the data used
  int64_t epochs = 1;
  double learning_rate = 0.01;
  int64_t batch_size = 64;
  uint64_t seed = 0;
  int64_t threads = 0;
};

// Fine-tunes in place on Fraction(data); returns the number of examples used.
// `after_step` runs after every optimiser step; `on_epoch` is told the finished epoch.
StatusOr<int64_t> FineTune(torch::jit::Module& model, const Dataset& data,
                           const FineTuneOptions& options, std::function<void()> after_step = {},
                           std::function<void(int64_t)> on_epoch = {});

// Zeroes the `rate` share of smallest-magnitude entries of every weight matrix and kernel
// (dim >= 2), per layer or over all of them at once.
struct Pruning {
  std::vector<torch::Tensor> masks;  // one per pruned parameter, in parameters() order
  int64_t zeroed = 0, total = 0;
  // Multiplies the parameters by their masks again (after a fine-tuning step).
  void Reapply(torch::jit::Module& model) const;
};
StatusOr<Pruning> PruneByMagnitude(torch::jit::Module& model, double rate, bool global);

// One attack on one model, whichever way it is run.
struct AttackSpec {
  std::string kind = "none";  // one of kAttackKinds
  FineTuneOptions finetune;   // finetune; after pruning when finetune.epochs > 0
  double prune_rate = 0.5;
  bool prune_global = false;
  models::ReparamOptions reparam;
  std::string shift_layer;
  double shift_alpha = 1.0;
};
inline constexpr const char* kAttackKinds = "none|finetune|prune|reparam|weight_shift";

// Whether Apply() fine-tunes, and so needs data.
bool NeedsData(const AttackSpec& spec);

// What an attack did, for reports.
struct AttackOutcome {
  int64_t examples = 0;              // fine-tuned on
  int64_t zeroed = 0, prunable = 0;  // pruning
};

// Attacks `model` in place. `data` is read only when NeedsData(spec); `on_epoch` is told
// each finished fine-tuning epoch.
StatusOr<AttackOutcome> Apply(torch::jit::Module& model, const AttackSpec& spec,
                              const Dataset* data, std::function<void(int64_t)> on_epoch = {});

}  // namespace securemark::attacks
