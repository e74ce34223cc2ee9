// What both graph sources emit: the graph and a summary.
#pragma once

#include <nlohmann/json.hpp>

#include "graph/generators.h"
#include "securemark/node.h"

namespace securemark::graph_source {

inline constexpr Output<graph::Graph> kGraph{"graph", "The graph with a community per node."};
inline constexpr Output<JsonDocument> kSummary{"summary",
                                               "Nodes, edges, communities and modularity."};

inline Status Emit(Context& ctx, const graph::Graph& g) {
  int64_t communities = 0;
  for (int64_t c : g.communities()) communities = std::max(communities, c + 1);
  nlohmann::json s = {{"nodes", g.nodes()},
                      {"edges", g.edges()},
                      {"communities", communities},
                      {"modularity", graph::Modularity(g, g.communities())}};
  ctx.Info(s.dump());
  SM_RETURN_IF_ERROR(ctx.Set(kGraph, g));
  return ctx.Set(kSummary, JsonDocument(s.dump()));
}

}  // namespace securemark::graph_source
