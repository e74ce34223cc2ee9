// attacker.prune: a customer zeroes the α% smallest weights of its copy (per layer or over
// all layers), then fine-tunes with the pruned weights held at zero.
#include "attacker_ports.h"

namespace securemark::attacker {
namespace {

class PruneAttack : public Node {
 public:
  static constexpr Param<double> kRate{"rate", 0.5, "Share of weights set to zero.", Range{0, 1}};
  static Contract GetContract() {
    return Contract::Build("1.1.0",
                           "Magnitude pruning of weight matrices and kernels, then sparse "
                           "fine-tuning (pruned weights stay zero).",
                           kModel, kData, kTest, kOut, kReport, kRate, attacks::kScope,
                           attacks::kFraction, attacks::kEpochs, attacks::kLr, attacks::kBatch,
                           kSeed, attacks::kThreads);
  }
  Status Process(Context& ctx) override {
    attacks::AttackSpec spec;
    spec.kind = "prune";
    spec.prune_rate = ctx.Get(kRate);
    spec.prune_global = ctx.Get(attacks::kScope) == "global";
    spec.finetune = attacks::FineTuneFrom(ctx, static_cast<uint64_t>(ctx.Get(kSeed)));
    // Without data there is nothing to fine-tune on: pruning alone.
    if (!ctx.Has(kData)) spec.finetune.epochs = 0;
    return RunAttack(ctx, spec,
                     {{"rate", spec.prune_rate},
                      {"scope", ctx.Get(attacks::kScope)},
                      {"epochs", spec.finetune.epochs},
                      {"fraction", spec.finetune.fraction}});
  }
};

}  // namespace
}  // namespace securemark::attacker

SECUREMARK_PLUGIN(securemark::attacker::PruneAttack, attacker, prune)
