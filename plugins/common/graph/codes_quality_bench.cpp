// Community codes against ground truth: for each graph (stochastic block model, LFR at
// mixing 0.1/0.3/0.5, ego-Facebook with Louvain communities) and each generator (NPH,
// spectral hashing, random), the ROC AUC and MAP of the Hamming ranking, precision at
// d <= 1, and screening beside random codes, with the generator's time. Prints a table.
//   codes_quality_bench [nodes=1000] [bits=15]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "graph/community_eval.h"
#include "graph/generators.h"
#include "graph/nph.h"
#include "graph/spectral_hash.h"

using namespace securemark::graph;

namespace {

void Report(const std::string& graph_name, const std::string& generator, const Graph& g,
            const std::function<NphResult()>& make) {
  const auto t0 = std::chrono::steady_clock::now();
  const NphResult codes = make();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const RankingQuality q = PairRanking(codes, g.communities(), 2000000, 1);
  const auto rows = NeighborhoodPreservation(codes, g.communities(), 1, 2000000, 1);
  const auto screen = ScreenCommunities(codes, g.communities(), {1, 5, 10}, 300, 1);
  std::printf("%-16s %-9s %3lld  AUC %.3f  MAP %.3f  base %.3f  P@1 %.3f (x%.1f)  R@1 %.3f",
              graph_name.c_str(), generator.c_str(), static_cast<long long>(codes.bits), q.auc,
              q.mean_average_precision, q.base_rate, rows[1].precision,
              q.base_rate > 0 ? rows[1].precision / q.base_rate : 0.0, rows[1].recall);
  for (const auto& s : screen)
    std::printf("  K%lld %.2f/%.2f", static_cast<long long>(s.k), s.community_first,
                s.community_first_random);
  std::printf("  %.2fs\n", seconds);
  std::fflush(stdout);
}

void AllGenerators(const std::string& name, const Graph& g, int64_t bits) {
  Report(name, "nph", g, [&] {
    NphOptions o;
    o.bits = bits;
    return *NeighborhoodPreservingHash(g, o);
  });
  Report(name, "spectral", g, [&] {
    SpectralOptions o;
    o.bits = bits;
    return *SpectralHash(g, o);
  });
  Report(name, "random", g, [&] { return RandomCodes(g.nodes(), bits, 7); });
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t nodes = argc > 1 ? std::atoll(argv[1]) : 1000;
  const int64_t bits = argc > 2 ? std::atoll(argv[2]) : 15;
  const int64_t blocks = std::max<int64_t>(2, nodes / 50);
  std::vector<int64_t> sizes(blocks, nodes / blocks);
  AllGenerators("sbm", StochasticBlockModel(sizes, 0.2, 0.2 * 0.3 / (blocks - 1) * 1.0, 1), bits);
  for (double mixing : {0.1, 0.3, 0.5}) {
    LfrOptions o;
    o.nodes = nodes;
    o.mixing = mixing;
    o.seed = 1;
    AllGenerators("lfr mu=" + std::to_string(mixing).substr(0, 3), LfrGraph(o), bits);
  }
  const std::string facebook =
      std::string(SECUREMARK_BUILD_DIR) + "/../../shared/data/ego-facebook/facebook_combined.txt";
  securemark::StatusOr<Graph> fb = ReadSnapEdgeList(facebook);
  if (fb.ok()) {
    fb->communities() = LouvainCommunities(*fb, 1);
    AllGenerators("ego-facebook", *fb, bits);
  }
  return 0;
}
