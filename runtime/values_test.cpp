#include "securemark/values.h"

#include <gtest/gtest.h>

namespace securemark {
namespace {

Dataset SmallDataset() {
  Dataset d;
  d.Put("images", Tensor::FromVector<uint8_t>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  d.Put("labels", Tensor::FromVector<int64_t>({2}, {3, 9}));
  d.SetAttr("name", "tiny");
  return d;
}

TEST(ValuesTest, TensorMapRoundTrips) {
  Dataset d = SmallDataset();
  StatusOr<Dataset> back = Dataset::Decode(d.Encode());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Attr("name"), "tiny");
  EXPECT_EQ(back->images().ShapeString(), "uint8[2,2,2]");
  EXPECT_EQ(back->labels().data<int64_t>()[1], 9);
  EXPECT_EQ(back->Encode(), d.Encode());
}

TEST(ValuesTest, EveryTruncationIsReportedWithAnOffset) {
  std::string bytes = SmallDataset().Encode();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    StatusOr<TensorMap> r = TensorMap::Decode(std::string_view(bytes).substr(0, cut));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_NE(r.status().message().find("offset"), std::string::npos) << r.status();
  }
}

TEST(ValuesTest, CorruptHeadersAreRejected) {
  std::string bytes = SmallDataset().Encode();
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_NE(TensorMap::Decode(bad_magic).status().message().find("bad magic"), std::string::npos);
  std::string trailing = bytes + "x";
  EXPECT_NE(TensorMap::Decode(trailing).status().message().find("trailing"), std::string::npos);
  std::string bad_version = bytes;
  bad_version[4] = 9;
  EXPECT_EQ(TensorMap::Decode(bad_version).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ValuesTest, DatasetRequiresMatchingImagesAndLabels) {
  TensorMap m;
  m.Put("images", Tensor(DType::kUInt8, {3, 4}));
  m.Put("labels", Tensor(DType::kInt64, {2}));
  StatusOr<Dataset> r = Dataset::Decode(m.Encode());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("do not match"), std::string::npos) << r.status();
  TensorMap no_labels;
  no_labels.Put("images", Tensor(DType::kUInt8, {3, 4}));
  EXPECT_FALSE(Dataset::Decode(no_labels.Encode()).ok());
}

TEST(ValuesTest, JsonDocumentChecksSyntax) {
  EXPECT_TRUE(JsonDocument::Decode("{\"a\": [1, 2]}").ok());
  EXPECT_FALSE(JsonDocument::Decode("{\"a\": ").ok());
}

}  // namespace
}  // namespace securemark
