#include "graph/nph.h"

#include <gtest/gtest.h>

#include "graph/community_eval.h"
#include "graph/generators.h"

namespace securemark::graph {
namespace {

TEST(NphTest, ObjectiveDecreasesAndCodesAreDeterministic) {
  Graph g = StochasticBlockModel({50, 50, 50, 50}, 0.3, 0.01, 5);
  NphOptions o;
  o.bits = 16;
  o.iterations = 20;
  NphResult a = *NeighborhoodPreservingHash(g, o);
  NphResult b = *NeighborhoodPreservingHash(g, o);
  EXPECT_EQ(a.codes, b.codes);
  ASSERT_EQ(a.objective.size(), 20u);
  for (size_t i = 1; i < a.objective.size(); ++i)
    EXPECT_LE(a.objective[i], a.objective[i - 1] + 1e-9) << i;
  EXPECT_LT(a.objective.back(), a.objective.front());
}

// On a graph with clear communities, NPH codes are far better than random codes at
// telling same-community pairs apart: precision well above the 20% base rate, and recall
// where random codes have almost none.
TEST(NphTest, SameCommunityPairsAreCloseInHammingDistance) {
  Graph g = StochasticBlockModel({40, 40, 40, 40, 40}, 0.3, 0.01, 11);
  NphOptions o;
  o.bits = 30;
  NphResult nph = *NeighborhoodPreservingHash(g, o);
  NphResult random = RandomCodes(g.nodes(), 30, 1);
  auto n = NeighborhoodPreservation(nph, g.communities(), 3, 1000000, 0);
  auto r = NeighborhoodPreservation(random, g.communities(), 3, 1000000, 0);
  EXPECT_NEAR(n[0].same_community_share, 0.2, 0.01);
  EXPECT_GT(n[3].precision, 0.6) << "recall " << n[3].recall;
  EXPECT_GT(n[3].recall, 0.1);
  EXPECT_GT(n[3].accuracy, r[3].accuracy);
  EXPECT_LT(r[3].recall, 0.01);
  auto screening = ScreenCommunities(nph, g.communities(), {1, 3}, 200, 2);
  EXPECT_GT(screening[1].community_first, 0.8);
}

TEST(NphTest, BadOptionsAreRefused) {
  Graph g = StochasticBlockModel({5, 5}, 0.5, 0.1, 1);
  NphOptions o;
  o.bits = 65;
  EXPECT_EQ(NeighborhoodPreservingHash(g, o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace securemark::graph
