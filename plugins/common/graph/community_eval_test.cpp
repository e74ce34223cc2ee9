#include "graph/community_eval.h"

#include <gtest/gtest.h>

namespace securemark::graph {
namespace {

// Ten communities of twenty; a code per community, perturbed per node.
NphResult CodesByCommunity(const std::vector<int64_t>& community, int flips) {
  NphResult r;
  r.bits = 16;
  for (size_t v = 0; v < community.size(); ++v) {
    uint64_t code = static_cast<uint64_t>(community[v]) * 0x1357 & 0xffff;
    for (int f = 0; f < flips; ++f) code ^= uint64_t{1} << ((v * 7 + f * 3) % 16);
    r.codes.push_back(code);
  }
  return r;
}

std::vector<int64_t> TenCommunities() {
  std::vector<int64_t> c;
  for (int64_t v = 0; v < 200; ++v) c.push_back(v / 20);
  return c;
}

TEST(PairRankingTest, CodesEqualWithinCommunitiesRankPerfectly) {
  const auto communities = TenCommunities();
  const RankingQuality q = PairRanking(CodesByCommunity(communities, 0), communities, 1000000, 1);
  EXPECT_NEAR(q.auc, 1.0, 1e-12);
  EXPECT_NEAR(q.mean_average_precision, 1.0, 1e-12);
  EXPECT_NEAR(q.base_rate, 19.0 / 199.0, 1e-9);
  EXPECT_EQ(q.pairs, 200 * 199 / 2);
  EXPECT_EQ(q.queries, 200);
}

TEST(PairRankingTest, RandomCodesRankAtChance) {
  const auto communities = TenCommunities();
  const RankingQuality q = PairRanking(RandomCodes(200, 16, 5), communities, 1000000, 1);
  EXPECT_NEAR(q.auc, 0.5, 0.03);
  EXPECT_NEAR(q.mean_average_precision, q.base_rate, 0.05);
}

// Ties count one half: identical codes for everyone give AUC exactly 0.5 and a MAP equal
// to the base rate, never a perfect score.
TEST(PairRankingTest, ConstantCodesScoreAtChance) {
  const auto communities = TenCommunities();
  NphResult constant;
  constant.bits = 16;
  constant.codes.assign(200, 0x5);
  const RankingQuality q = PairRanking(constant, communities, 1000000, 1);
  EXPECT_NEAR(q.auc, 0.5, 1e-12);
  EXPECT_NEAR(q.mean_average_precision, 19.0 / 199.0, 1e-12);
}

TEST(PairRankingTest, SamplesQueriesAndPairsOnLargeGraphs) {
  std::vector<int64_t> communities;
  for (int64_t v = 0; v < 3000; ++v) communities.push_back(v % 30);
  const RankingQuality q = PairRanking(CodesByCommunity(communities, 1), communities, 100000, 1);
  EXPECT_EQ(q.queries, 33);
  EXPECT_LE(q.pairs, 100000);
  EXPECT_GT(q.auc, 0.9);
}

TEST(ScreeningTest, RandomCodesAreScreenedOnTheSameTrials) {
  const auto communities = TenCommunities();
  const auto rows =
      ScreenCommunities(CodesByCommunity(communities, 1), communities, {1, 5}, 100, 3);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_GT(row.community_first, 0.9);
    EXPECT_LT(row.community_first_random, row.community_first - 0.2);
  }
}

}  // namespace
}  // namespace securemark::graph
