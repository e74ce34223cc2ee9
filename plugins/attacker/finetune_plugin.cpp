// attacker.finetune: a customer fine-tunes its copy to wash the fingerprint out while
// keeping it useful, on a fraction of the training data (the papers: up to 10% of the
// original batches) or on other data it has.
#include "attacker_ports.h"

namespace securemark::attacker {
namespace {

class FineTuneAttack : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.1.0", "Fine-tunes a copy on (a fraction of) the customer's data.",
                           kModel, kData, kTest, kOut, kReport, attacks::kFraction,
                           attacks::kEpochs, attacks::kLr, attacks::kBatch, kSeed,
                           attacks::kThreads);
  }
  Status Process(Context& ctx) override {
    if (!ctx.Has(kData)) return InvalidArgumentError("fine-tuning needs input 'data'");
    attacks::AttackSpec spec;
    spec.kind = "finetune";
    spec.finetune = attacks::FineTuneFrom(ctx, static_cast<uint64_t>(ctx.Get(kSeed)));
    return RunAttack(ctx, spec,
                     {{"fraction", spec.finetune.fraction},
                      {"epochs", spec.finetune.epochs},
                      {"lr", spec.finetune.learning_rate}});
  }
};

}  // namespace
}  // namespace securemark::attacker

SECUREMARK_PLUGIN(securemark::attacker::FineTuneAttack, attacker, finetune)
