// The example's unit test, built against the installed SDK: securemark/testing.h runs
// the node in this process as a host would.
#include <gtest/gtest.h>
#include <securemark/testing.h>

#include "label_count.h"

namespace {

using example::LabelCount;
using securemark::Dataset;
using securemark::JsonDocument;
using securemark::NodeTest;
using securemark::Tensor;

Dataset Labelled(const std::vector<int64_t>& labels) {
  Dataset d;
  const auto n = static_cast<int64_t>(labels.size());
  d.Put("images", Tensor::FromVector<uint8_t>({n, 2, 2}, std::vector<uint8_t>(n * 4, 7)));
  d.Put("labels", Tensor::FromVector<int64_t>({n}, labels));
  return d;
}

TEST(LabelCountTest, CountsEachLabelAndOmitsRareOnes) {
  NodeTest<LabelCount> t;
  t.Give(LabelCount::kData, Labelled({3, 1, 3, 3, 0}));
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Get(LabelCount::kCounts)->text(), R"({"0":1,"1":1,"3":3})");
  ASSERT_TRUE(t.Set(LabelCount::kMinimum, 2).Run().ok());
  EXPECT_EQ(t.Get(LabelCount::kCounts)->text(), R"({"3":3})");
}

TEST(LabelCountTest, NeedsItsData) {
  NodeTest<LabelCount> t;
  const securemark::Status missing = t.Run();
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("required input 'data'"), std::string::npos) << missing;
}

}  // namespace
