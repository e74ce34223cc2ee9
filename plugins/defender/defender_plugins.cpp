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

constexpr Output<ModelFile> kDefender{"model", "The defender: hidden states [N, ...] -> same."};
constexpr Param<std::vector<int64_t>> kShape{
    "shape", "[900]", "Hidden state per example: [features] or [C, H, W] (conv splits)."};
constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation seed."};

Status Emit(Context& ctx, int variant) {
  const std::vector<int64_t> shape = ctx.Get(kShape);
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  if (variant != 0 && shape.size() != 1) {
    return InvalidArgumentError("defender.mlp works on flat hidden states [features], got " +
                                c10::str(shape) + "; use defender.deconv for conv splits");
  }
  SM_ASSIGN_OR_RETURN(torch::jit::Module m,
                      split::MakeMlpDefender(std::max<int64_t>(features, 2), variant,
                                             static_cast<uint64_t>(ctx.Get(kSeed))));
  return ctx.Set(kDefender, ModelFile(models::SaveModel(m)));
}

// defender.none: hidden states leave as they are (the baseline without defence).
class NoDefender : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.0.0", "No defence: the identity.", kDefender, kShape, kSeed);
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
                           kShape, kSeed, kVariant);
  }
  Status Process(Context& ctx) override { return Emit(ctx, static_cast<int>(ctx.Get(kVariant))); }
};

// defender.deconv: for convolutional cuts, 3x3 convolutions each undone by a transposed
// convolution (1-3 pairs, or variant 4 a half-channel bottleneck), near the identity.
class DeconvDefender : public Node {
 public:
  static constexpr Param<int64_t> kVariant{"variant", 1, "1-3 conv/deconv pairs, 4 bottleneck.",
                                           Range{1, 4}};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "A convolutional defender for [C, H, W] hidden states.",
                           kDefender, kShape, kSeed, kVariant);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(
        torch::jit::Module m,
        split::MakeDeconvDefender(ctx.Get(kShape), static_cast<int>(ctx.Get(kVariant)),
                                  static_cast<uint64_t>(ctx.Get(kSeed))));
    return ctx.Set(kDefender, ModelFile(models::SaveModel(m)));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::NoDefender, defender, none)
SECUREMARK_PLUGIN(securemark::MlpDefender, defender, mlp)
SECUREMARK_PLUGIN(securemark::DeconvDefender, defender, deconv)
