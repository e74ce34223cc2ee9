// Defenders a data owner applies to its hidden states before they leave it. An owner
// names one in its parameters (a nested plugin choice) and builds it in its own process;
// the defender plugin only makes the untrained network, the owner trains it.
#include "models/model_file.h"
#include "models/model_zoo.h"
#include "securemark/node.h"
#include "split/privacy_nets.h"

namespace securemark {
namespace {

using models::ModelFile;

constexpr Output<ModelFile> kDefender{"model", "The defender: hidden [N, features] -> same."};
constexpr Param<int64_t> kFeatures{"features", 900, "Width of the hidden state.", Range{2, 1e7}};
constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation seed."};

Status Emit(Context& ctx, int variant) {
  SM_ASSIGN_OR_RETURN(
      torch::jit::Module m,
      split::MakeMlpDefender(ctx.Get(kFeatures), variant, static_cast<uint64_t>(ctx.Get(kSeed))));
  return ctx.Set(kDefender, ModelFile(models::SaveModel(m)));
}

// defender.none: hidden states leave as they are (the baseline without defence).
class NoDefender : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.0.0", "No defence: the identity.", kDefender, kFeatures, kSeed);
  }
  Status Process(Context& ctx) override { return Emit(ctx, 0); }
};

// defender.mlp: Defender1-4 (one, two or three width-preserving ReLU layers, or a
// half-width bottleneck), initialised near the identity.
class MlpDefender : public Node {
 public:
  static constexpr Param<int64_t> kVariant{"variant", 1, "Defender1-4.", Range{1, 4}};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "An MLP defender (SecureMark-DL Defender1-4).", kDefender,
                           kFeatures, kSeed, kVariant);
  }
  Status Process(Context& ctx) override { return Emit(ctx, static_cast<int>(ctx.Get(kVariant))); }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::NoDefender, defender, none)
SECUREMARK_PLUGIN(securemark::MlpDefender, defender, mlp)
