// Community codes end to end: ego-Facebook (load, Louvain, 60-bit NPH) and a 100,000-node
// LFR-style graph (generate, 60-bit NPH; spectral hashing at 15 and 60 bits), with peak
// memory.
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include "graph/generators.h"
#include "graph/nph.h"
#include "graph/spectral_hash.h"

namespace securemark::graph {
namespace {

double PeakMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// 100,000 nodes, communities of 50 to 500.
Graph LargeLfr() {
  LfrOptions lfr;
  lfr.nodes = 100000;
  lfr.max_degree = 60;
  lfr.min_community = 50;
  lfr.max_community = 500;
  lfr.seed = 1;
  return LfrGraph(lfr);
}

void BM_EgoFacebookEndToEnd(benchmark::State& state) {
  const std::string path =
      std::string(SECUREMARK_BUILD_DIR) + "/../../shared/data/ego-facebook/facebook_combined.txt";
  for (auto _ : state) {
    StatusOr<Graph> g = ReadSnapEdgeList(path);
    if (!g.ok()) {
      state.SkipWithError(g.status().ToString().c_str());
      return;
    }
    g->communities() = LouvainCommunities(*g, 1);
    NphOptions o;
    o.bits = 60;
    benchmark::DoNotOptimize(NeighborhoodPreservingHash(*g, o));
  }
  state.counters["peak_MiB"] = PeakMiB();
}
BENCHMARK(BM_EgoFacebookEndToEnd)->Unit(benchmark::kSecond)->Iterations(1);

void BM_Lfr100kNodes(benchmark::State& state) {
  for (auto _ : state) {
    Graph g = LargeLfr();
    NphOptions o;
    o.bits = 60;
    benchmark::DoNotOptimize(NeighborhoodPreservingHash(g, o));
    state.counters["edges"] = static_cast<double>(g.edges());
  }
  state.counters["peak_MiB"] = PeakMiB();
}
BENCHMARK(BM_Lfr100kNodes)->Unit(benchmark::kSecond)->Iterations(1);

// The shipped generator: spectral hashing of the same 100,000-node graph (the graph is
// made outside the timed region), at 15 and 60 bits.
void BM_Lfr100kSpectral(benchmark::State& state) {
  const Graph g = LargeLfr();
  for (auto _ : state) {
    SpectralOptions o;
    o.bits = state.range(0);
    StatusOr<NphResult> codes = SpectralHash(g, o);
    if (!codes.ok()) {
      state.SkipWithError(codes.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(codes);
  }
  state.counters["edges"] = static_cast<double>(g.edges());
  state.counters["peak_MiB"] = PeakMiB();
}
BENCHMARK(BM_Lfr100kSpectral)->Arg(15)->Arg(60)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace securemark::graph

BENCHMARK_MAIN();
