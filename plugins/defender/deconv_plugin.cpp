// defender.deconv: for convolutional cuts, 3x3 convolutions each undone by a transposed
// convolution (1-3 pairs, or variant 4 a half-channel bottleneck), near the identity.
#include "defender_ports.h"

namespace securemark::defender {
namespace {

class DeconvDefender : public Node {
 public:
  static constexpr Param<int64_t> kVariant{"variant", 1, "1-3 conv/deconv pairs, 4 bottleneck.",
                                           Range{1, 4}};
  static Contract GetContract() {
    return Contract::Build("2.1.0", "A convolutional defender for [C, H, W] hidden states.",
                           kDefender, kShape, kArchitecture, kSplitAfter, kChannels, kHeight,
                           kWidth, kSeed, kVariant, kNoise);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, HiddenShape(ctx));
    SM_ASSIGN_OR_RETURN(
        torch::jit::Module m,
        split::MakeDeconvDefender(shape, static_cast<int>(ctx.Get(kVariant)),
                                  static_cast<uint64_t>(ctx.Get(kSeed)), ctx.Get(kNoise)));
    return EmitDefender(ctx, std::move(m),
                        "defender.deconv:" + std::to_string(ctx.Get(kVariant)) + NoiseSuffix(ctx));
  }
};

}  // namespace
}  // namespace securemark::defender

SECUREMARK_PLUGIN(securemark::defender::DeconvDefender, defender, deconv)
