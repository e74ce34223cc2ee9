// Community codes end to end: ego-Facebook (load, Louvain, 60-bit NPH) and a 100,000-node
// LFR-style graph (generate, 60-bit NPH), with peak memory.
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include "graph/generators.h"
#include "graph/nph.h"

namespace securemark::graph {
namespace {

double PeakMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
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
    LfrOptions lfr;
    lfr.nodes = 100000;
    lfr.max_degree = 60;
    lfr.min_community = 50;
    lfr.max_community = 500;
    lfr.seed = 1;
    Graph g = LfrGraph(lfr);
    NphOptions o;
    o.bits = 60;
    benchmark::DoNotOptimize(NeighborhoodPreservingHash(g, o));
    state.counters["edges"] = static_cast<double>(g.edges());
  }
  state.counters["peak_MiB"] = PeakMiB();
}
BENCHMARK(BM_Lfr100kNodes)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace securemark::graph

BENCHMARK_MAIN();
