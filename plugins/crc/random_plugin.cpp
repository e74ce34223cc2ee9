// crc.random: uniform random community codes, the baseline NPH is measured against.
#include "crc_ports.h"

namespace securemark {
namespace {

class RandomCodes : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Uniform random community codes (the baseline).", crc::kGraph,
                           crc::kCodes, crc::kBits, crc::kSeed);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(graph::Graph g, ctx.Get(crc::kGraph));
    graph::NphResult r = graph::RandomCodes(g.nodes(), ctx.Get(crc::kBits),
                                            static_cast<uint64_t>(ctx.Get(crc::kSeed)));
    return ctx.Set(crc::kCodes, crc::CodesTable(g, r));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::RandomCodes, crc, random)
