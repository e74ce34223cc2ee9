// dataset.snap_graph: a SNAP edge list; communities from a file or from Louvain.
#include "graph_source.h"

namespace securemark {
namespace {

using graph_source::Emit;
using graph_source::kGraph;
using graph_source::kSummary;

class SnapGraph : public Node {
 public:
  static constexpr Param<std::string> kEdges =
      Param<std::string>::Required("edges", "SNAP edge list (.txt or .gz).");
  static constexpr Param<std::string> kCommunities{
      "communities", "", "Ground-truth file; empty: detect with Louvain."};
  static constexpr Param<std::string> kFormat{"community_format", "auto", "lines, labels or auto.",
                                              Choices{"auto|lines|labels"}};
  static constexpr Param<int64_t> kSeed{"seed", 1, "Seed of the community detection.",
                                        Range{0, 9.2e18}};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Reads a SNAP edge list; communities from a file or Louvain.",
                           kGraph, kSummary, kEdges, kCommunities, kFormat, kSeed);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(graph::Graph g, graph::ReadSnapEdgeList(ctx.Get(kEdges)));
    if (ctx.Get(kCommunities).empty()) {
      g.communities() = graph::LouvainCommunities(g, static_cast<uint64_t>(ctx.Get(kSeed)));
    } else {
      SM_RETURN_IF_ERROR(graph::ReadCommunities(ctx.Get(kCommunities), ctx.Get(kFormat), g));
    }
    return Emit(ctx, g);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::SnapGraph, dataset, snap_graph)
