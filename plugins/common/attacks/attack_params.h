// The parameters of the attacks a customer makes, declared once. The attacker plugins
// (one attacked model per step) and evaluate.robustness (hundreds per step) put these
// same constants in their contracts and read them with the same functions, so a name, a
// default or a range cannot differ between them (attack_params_test ties the contracts).
#pragma once

#include "attacks/attacks.h"
#include "securemark/node.h"

namespace securemark::attacks {

inline constexpr Param<double> kFraction{"fraction", 0.1, "Share of 'data' fine-tuned on.",
                                         Range{0, 1}};
inline constexpr Param<int64_t> kEpochs{
    "epochs", 1, "Fine-tuning epochs (after pruning: sparse fine-tuning; 0: none).",
    Range{0, 1000}};
inline constexpr Param<double> kLr{"lr", 0.01, "Fine-tuning learning rate.", Range{0, 10}};
inline constexpr Param<int64_t> kBatch{"batch", 64, "Fine-tuning batch.", Range{1, 65536}};
inline constexpr Param<std::string> kScope{
    "scope", "layer", "Prune the smallest weights per layer, or over all layers.",
    Choices{"layer|global"}};
inline constexpr Param<std::vector<std::string>> kLayers{
    "layers", "[]", "Hidden layers to re-parameterise (empty: all)."};
inline constexpr Param<bool> kPermute{"permute", true, "Permute units."};
inline constexpr Param<double> kMinScale{"min_scale", 0.5, "Smallest unit scale.",
                                         Range{1e-3, 1e3}};
inline constexpr Param<double> kMaxScale{"max_scale", 2.0, "Largest unit scale.", Range{1e-3, 1e3}};
inline constexpr Param<int64_t> kDummyPairs{"dummy_pairs", 4, "Cancelling unit pairs per layer.",
                                            Range{0, 10000}};
inline constexpr Param<int64_t> kThreads{"threads", 0, "LibTorch threads (0: automatic).",
                                         Range{0, 1024}};

// What the step's parameters say about fine-tuning; `seed` picks the subset and order.
inline FineTuneOptions FineTuneFrom(Context& ctx, uint64_t seed) {
  FineTuneOptions o;
  o.fraction = ctx.Get(kFraction);
  o.epochs = ctx.Get(kEpochs);
  o.learning_rate = ctx.Get(kLr);
  o.batch_size = ctx.Get(kBatch);
  o.seed = seed;
  o.threads = ctx.Get(kThreads);
  return o;
}

inline StatusOr<models::ReparamOptions> ReparamFrom(Context& ctx, uint64_t seed) {
  models::ReparamOptions o;
  o.layers = ctx.Get(kLayers);
  o.permute = ctx.Get(kPermute);
  o.min_scale = ctx.Get(kMinScale);
  o.max_scale = ctx.Get(kMaxScale);
  o.dummy_pairs = ctx.Get(kDummyPairs);
  o.seed = seed;
  if (o.max_scale < o.min_scale)
    return InvalidArgumentError("max_scale (" + std::to_string(o.max_scale) +
                                ") is below min_scale (" + std::to_string(o.min_scale) + ")");
  return o;
}

}  // namespace securemark::attacks
