// Seeded synthetic graphs with known communities, for tests and benchmarks.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace securemark::graph {

// Stochastic block model: blocks of the given sizes; an edge inside a block with
// probability p_in, between blocks with p_out. O(n + edges) time.
Graph StochasticBlockModel(const std::vector<int64_t>& sizes, double p_in, double p_out,
                           uint64_t seed);

struct LfrOptions {
  int64_t nodes = 1000;
  double degree_exponent = 2.5;  // power law of degrees
  int64_t min_degree = 5, max_degree = 50;
  double community_exponent = 1.5;  // power law of community sizes
  int64_t min_community = 20, max_community = 100;
  double mixing = 0.2;  // share of each node's edges leaving its community
  uint64_t seed = 0;
};

// An LFR-style benchmark graph (Lancichinetti, Fortunato, Radicchi): power-law degrees and
// community sizes, each node keeping about (1 - mixing) of its edges inside its community.
// Stubs are wired by a configuration model; self loops and repeated edges are dropped, so
// degrees come out slightly below their targets.
Graph LfrGraph(const LfrOptions& options);

// Louvain modularity maximisation (Blondel et al. 2008), seeded; returns a community per
// node, numbered 0..c-1 by size (largest first).
std::vector<int64_t> LouvainCommunities(const Graph& graph, uint64_t seed);

double Modularity(const Graph& graph, const std::vector<int64_t>& communities);

}  // namespace securemark::graph
