// dataset.synthetic_graph: a seeded graph with planted communities (SBM or LFR-style).
#include "graph_source.h"

namespace securemark {
namespace {

using graph_source::Emit;
using graph_source::kGraph;
using graph_source::kSummary;

class SyntheticGraph : public Node {
 public:
  static constexpr Param<std::string> kModel{"model", "lfr", "sbm (equal blocks) or lfr.",
                                             Choices{"sbm|lfr"}};
  static constexpr Param<int64_t> kNodes{"nodes", 1000, "Number of nodes.", Range{2, 10000000}};
  static constexpr Param<int64_t> kBlocks{"blocks", 10, "sbm: number of equal blocks.",
                                          Range{1, 1000000}};
  static constexpr Param<double> kPIn{"p_in", 0.1, "sbm: edge probability inside a block.",
                                      Range{0, 1}};
  static constexpr Param<double> kPOut{"p_out", 0.001, "sbm: edge probability between blocks.",
                                       Range{0, 1}};
  static constexpr Param<double> kMixing{"mixing", 0.2, "lfr: share of edges leaving a community.",
                                         Range{0, 1}};
  static constexpr Param<int64_t> kMinDegree{"min_degree", 5, "lfr: smallest degree.",
                                             Range{1, 100000}};
  static constexpr Param<int64_t> kMaxDegree{"max_degree", 50, "lfr: largest degree.",
                                             Range{1, 100000}};
  static constexpr Param<int64_t> kMinCommunity{"min_community", 20, "lfr: smallest community.",
                                                Range{2, 10000000}};
  static constexpr Param<int64_t> kMaxCommunity{"max_community", 100, "lfr: largest community.",
                                                Range{2, 10000000}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Random seed.", Range{0, 9.2e18}};
  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Generates a graph with planted communities (SBM or LFR-style).", kGraph,
                           kSummary, kModel, kNodes, kBlocks, kPIn, kPOut, kMixing, kMinDegree,
                           kMaxDegree, kMinCommunity, kMaxCommunity, kSeed);
  }
  Status Process(Context& ctx) override {
    const uint64_t seed = static_cast<uint64_t>(ctx.Get(kSeed));
    if (ctx.Get(kModel) == "sbm") {
      const int64_t blocks = std::min(ctx.Get(kBlocks), ctx.Get(kNodes));
      std::vector<int64_t> sizes(blocks, ctx.Get(kNodes) / blocks);
      for (int64_t i = 0; i < ctx.Get(kNodes) % blocks; ++i) ++sizes[i];
      return Emit(ctx, graph::StochasticBlockModel(sizes, ctx.Get(kPIn), ctx.Get(kPOut), seed));
    }
    if (ctx.Get(kMinDegree) > ctx.Get(kMaxDegree) ||
        ctx.Get(kMinCommunity) > ctx.Get(kMaxCommunity)) {
      return InvalidArgumentError(
          "min_degree/min_community must not exceed max_degree/max_community");
    }
    graph::LfrOptions o;
    o.nodes = ctx.Get(kNodes);
    o.mixing = ctx.Get(kMixing);
    o.min_degree = ctx.Get(kMinDegree);
    o.max_degree = ctx.Get(kMaxDegree);
    o.min_community = ctx.Get(kMinCommunity);
    o.max_community = ctx.Get(kMaxCommunity);
    o.seed = seed;
    return Emit(ctx, graph::LfrGraph(o));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::SyntheticGraph, dataset, synthetic_graph)
