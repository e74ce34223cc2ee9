#include "data/partition.h"

#include <set>

#include <gtest/gtest.h>

namespace securemark::data {
namespace {

std::vector<int64_t> Labels(int n, int classes) {
  std::vector<int64_t> labels(n);
  for (int i = 0; i < n; ++i) labels[i] = i % classes;
  return labels;
}

void ExpectExactCover(const std::vector<std::vector<int64_t>>& shards, size_t n) {
  std::set<int64_t> seen;
  size_t total = 0;
  for (const auto& s : shards) {
    total += s.size();
    seen.insert(s.begin(), s.end());
  }
  EXPECT_EQ(total, n);
  EXPECT_EQ(seen.size(), n);
}

TEST(PartitionTest, IidGivesNearEqualShardsCoveringEverything) {
  PartitionOptions o;
  o.shards = 7;
  auto shards = PartitionIndices(Labels(1000, 10), o);
  ASSERT_TRUE(shards.ok()) << shards.status();
  ExpectExactCover(*shards, 1000);
  for (const auto& s : *shards) EXPECT_NEAR(static_cast<double>(s.size()), 1000.0 / 7, 1.0);
}

TEST(PartitionTest, DeterministicForASeedAndDifferentAcrossSeeds) {
  PartitionOptions o;
  o.shards = 4;
  o.scheme = "dirichlet";
  o.alpha = 0.3;
  auto a = PartitionIndices(Labels(2000, 10), o);
  auto b = PartitionIndices(Labels(2000, 10), o);
  o.seed = 1;
  auto c = PartitionIndices(Labels(2000, 10), o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  ExpectExactCover(*a, 2000);
}

// With 10 classes over 5 shards, small alpha leaves each shard with about two classes
// (each class lands almost wholly in one shard); large alpha gives every shard all ten.
TEST(PartitionTest, SmallAlphaSkewsClassesLargeAlphaDoesNot) {
  auto classes_per_shard = [](double alpha) {
    PartitionOptions o;
    o.shards = 5;
    o.scheme = "dirichlet";
    o.alpha = alpha;
    o.seed = 3;
    std::vector<int64_t> labels = Labels(5000, 10);
    auto shards = PartitionIndices(labels, o);
    double classes = 0;
    for (const auto& s : *shards) {
      std::vector<int> count(10);
      for (int64_t i : s) ++count[labels[i]];
      for (int c : count) classes += c >= 0.05 * s.size();
    }
    return classes / 5;
  };
  EXPECT_LT(classes_per_shard(0.05), 4.0);
  EXPECT_EQ(classes_per_shard(1000), 10.0);
}

TEST(PartitionTest, ImpossibleRequestsAreRefused) {
  PartitionOptions o;
  o.shards = 10;
  o.min_shard_size = 20;
  EXPECT_EQ(PartitionIndices(Labels(100, 10), o).status().code(), StatusCode::kInvalidArgument);
  o.min_shard_size = 1;
  o.scheme = "zipf";
  EXPECT_FALSE(PartitionIndices(Labels(100, 10), o).ok());
}

TEST(PartitionTest, SubsetCopiesRows) {
  Dataset d;
  d.Put("images", Tensor::FromVector<uint8_t>({3, 2}, {1, 2, 3, 4, 5, 6}));
  d.Put("labels", Tensor::FromVector<int64_t>({3}, {0, 1, 2}));
  Dataset s = Subset(d, {2, 0});
  ASSERT_TRUE(s.Validate().ok());
  EXPECT_EQ(s.images().bytes(), std::string("\x05\x06\x01\x02", 4));
  EXPECT_EQ(LabelsOf(s), (std::vector<int64_t>{2, 0}));
}

}  // namespace
}  // namespace securemark::data
