#include "graph/spectral_hash.h"

#include <gtest/gtest.h>

#include "graph/community_eval.h"
#include "graph/generators.h"

namespace securemark::graph {
namespace {

// 1,000 nodes, 30% of each node's edges leaving its community.
Graph ModerateLfr() {
  LfrOptions lfr;
  lfr.nodes = 1000;
  lfr.mixing = 0.3;
  lfr.seed = 4;
  return LfrGraph(lfr);
}

// Fails if the codes stop carrying community information: on planted partitions, pairs in
// one community must rank well ahead of the rest by Hamming distance, where random codes
// of the same length rank them at chance.
TEST(SpectralHashTest, CodesPreserveCommunitiesOfAPlantedPartition) {
  const Graph g = StochasticBlockModel(std::vector<int64_t>(20, 50), 0.2, 0.004, 3);
  SpectralOptions o;
  o.bits = 15;
  const NphResult codes = *SpectralHash(g, o);
  const RankingQuality q = PairRanking(codes, g.communities(), 1000000, 1);
  const RankingQuality control =
      PairRanking(RandomCodes(g.nodes(), 15, 9), g.communities(), 1000000, 1);
  EXPECT_GT(q.auc, 0.75);
  EXPECT_GT(q.mean_average_precision, 5 * q.base_rate);
  EXPECT_NEAR(control.auc, 0.5, 0.03);
  const auto rows = NeighborhoodPreservation(codes, g.communities(), 1, 1000000, 1);
  EXPECT_GT(rows[1].precision, 10 * rows[1].same_community_share);
}

TEST(SpectralHashTest, CodesPreserveLfrCommunitiesAtModerateMixing) {
  const Graph g = ModerateLfr();
  SpectralOptions o;
  o.bits = 15;
  const NphResult codes = *SpectralHash(g, o);
  EXPECT_GT(PairRanking(codes, g.communities(), 1000000, 1).auc, 0.85);
  // Screening the colluders' community beats random codes on the same trials.
  for (const ScreeningRow& row : ScreenCommunities(codes, g.communities(), {1, 5}, 200, 2))
    EXPECT_GT(row.community_first, row.community_first_random + 0.2) << "K=" << row.k;
}

// Codes longer than the embedding: random hyperplanes through it keep the ranking (bits of
// further eigenvectors would split communities at random and drag it down).
TEST(SpectralHashTest, LongCodesHashTheEmbeddingAndStillRankCommunitiesFirst) {
  const Graph g = ModerateLfr();
  SpectralOptions o;
  o.bits = 60;
  const SpectralResult r = *SpectralHashWithDetails(g, o);
  EXPECT_TRUE(r.hashed);
  EXPECT_EQ(r.eigenvalues.size(), 15u);
  EXPECT_GT(PairRanking(r.codes, g.communities(), 1000000, 1).auc, 0.9);
  o.dimensions = 60;  // one eigenvector per bit
  const SpectralResult plain = *SpectralHashWithDetails(g, o);
  EXPECT_FALSE(plain.hashed);
  EXPECT_LT(PairRanking(plain.codes, g.communities(), 1000000, 1).auc, 0.9);
}

TEST(SpectralHashTest, CodesAreDeterministicAndBitsAreBalanced) {
  const Graph g = StochasticBlockModel({60, 60, 60, 60}, 0.3, 0.02, 8);
  SpectralOptions o;
  o.bits = 3;
  const NphResult a = *SpectralHash(g, o), b = *SpectralHash(g, o);
  EXPECT_EQ(a.codes, b.codes);
  for (int64_t bit = 0; bit < 3; ++bit) {
    int64_t ones = 0;
    for (uint64_t c : a.codes) ones += (c >> bit) & 1;
    EXPECT_GT(ones, 30) << bit;
    EXPECT_LT(ones, 210) << bit;
  }
}

TEST(SpectralHashTest, RefusesBadLengthsAndTinyGraphs) {
  const Graph g = StochasticBlockModel({5, 5}, 0.5, 0.1, 1);
  SpectralOptions o;
  o.bits = 65;
  EXPECT_EQ(SpectralHash(g, o).status().code(), StatusCode::kInvalidArgument);
  o.bits = 9;
  EXPECT_NE(SpectralHash(g, o).status().message().find("at least 15 nodes"), std::string::npos);
}

}  // namespace
}  // namespace securemark::graph
