// attacker.weight_shift: a customer subtracts alpha times the mean over a layer's units
// from each unit's weights — the statistic projection watermarks read — at some cost in
// accuracy.
#include "attacker_ports.h"

namespace securemark::attacker {
namespace {

class WeightShift : public Node {
 public:
  static constexpr Param<std::string> kLayer{"layer", "fc1", "The layer to shift."};
  static constexpr Param<double> kAlpha{"alpha", 1.0, "Multiple of the mean to subtract.",
                                        Range{-100, 100}};

  static Contract GetContract() {
    return Contract::Build("1.1.0", "Removal attack: subtract a multiple of a layer's unit mean.",
                           kModel, kTest, kOut, kReport, kLayer, kAlpha);
  }

  Status Process(Context& ctx) override {
    attacks::AttackSpec spec;
    spec.kind = "weight_shift";
    spec.shift_layer = ctx.Get(kLayer);
    spec.shift_alpha = ctx.Get(kAlpha);
    return RunAttack(ctx, spec, {{"layer", spec.shift_layer}, {"alpha", spec.shift_alpha}});
  }
};

}  // namespace
}  // namespace securemark::attacker

SECUREMARK_PLUGIN(securemark::attacker::WeightShift, attacker, weight_shift)
