// defender.none: hidden states leave a data owner as they are (the baseline without
// defence).
#include "defender_ports.h"

namespace securemark::defender {
namespace {

class NoDefender : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("2.0.0", "No defence: the identity.", kDefender, kShape, kArchitecture,
                           kSplitAfter, kChannels, kHeight, kWidth, kSeed);
  }
  Status Process(Context& ctx) override { return EmitMlp(ctx, 0, "defender.none"); }
};

}  // namespace
}  // namespace securemark::defender

SECUREMARK_PLUGIN(securemark::defender::NoDefender, defender, none)
