// defender.mlp: Defender1-4 of SecureMark-DL (one, two or three width-preserving ReLU
// layers, or a half-width bottleneck), initialised near the identity.
#include "defender_ports.h"

namespace securemark::defender {
namespace {

class MlpDefender : public Node {
 public:
  static constexpr Param<int64_t> kVariant{"variant", 1, "Defender1-4.", Range{1, 4}};
  static Contract GetContract() {
    return Contract::Build("2.1.0", "An MLP defender (SecureMark-DL Defender1-4).", kDefender,
                           kShape, kArchitecture, kSplitAfter, kChannels, kHeight, kWidth, kSeed,
                           kVariant, kNoise);
  }
  Status Process(Context& ctx) override {
    return EmitMlp(ctx, static_cast<int>(ctx.Get(kVariant)),
                   "defender.mlp:" + std::to_string(ctx.Get(kVariant)) + NoiseSuffix(ctx),
                   ctx.Get(kNoise));
  }
};

}  // namespace
}  // namespace securemark::defender

SECUREMARK_PLUGIN(securemark::defender::MlpDefender, defender, mlp)
