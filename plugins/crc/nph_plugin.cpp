// crc.nph: community relationship codes by Neighborhood Preserving Hashing.
#include "crc_ports.h"

namespace securemark {
namespace {

class NphCodes : public Node {
 public:
  static constexpr Param<int64_t> kNeighbours{"neighbours", 10, "LLE neighbours per customer.",
                                              Range{1, 1000}};
  static constexpr Param<int64_t> kIterations{"iterations", 10, "Alternating NMF updates.",
                                              Range{0, 10000}};
  static constexpr Output<JsonDocument> kSummary{"summary", "Objective per iteration."};
  static Contract GetContract() {
    return Contract::Build(
        "1.0.0", "Community codes by Neighborhood Preserving Hashing (LLE + kernel NMF).",
        crc::kGraph, crc::kCodes, kSummary, crc::kBits, kNeighbours, kIterations, crc::kSeed);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(graph::Graph g, ctx.Get(crc::kGraph));
    graph::NphOptions o;
    o.bits = ctx.Get(crc::kBits);
    o.neighbours = ctx.Get(kNeighbours);
    o.iterations = ctx.Get(kIterations);
    o.seed = static_cast<uint64_t>(ctx.Get(crc::kSeed));
    o.on_iteration = [&ctx](int64_t done, int64_t planned) {
      ctx.Progress(static_cast<double>(done), static_cast<double>(planned), "NPH iterations");
    };
    SM_ASSIGN_OR_RETURN(graph::NphResult r, graph::NeighborhoodPreservingHash(g, o));
    SM_RETURN_IF_ERROR(ctx.Set(crc::kCodes, crc::CodesTable(g, r)));
    return ctx.Set(kSummary, JsonDocument(nlohmann::json{{"objective", r.objective}}.dump()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::NphCodes, crc, nph)
