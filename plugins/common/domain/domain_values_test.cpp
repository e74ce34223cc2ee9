// The schemas of the domain values and the port-type rule validate applies to them.
#include "domain/domain_values.h"

#include <gtest/gtest.h>

namespace securemark::domain {
namespace {

Tensor Floats(std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return Tensor::FromVector<double>(std::move(shape), std::vector<double>(n, 0.5));
}

template <typename T>
Status DecodeStatus(const TensorMap& map) {
  return T::Decode(map.Encode()).status();
}

template <typename T>
Status DecodeStatus(const std::string& json) {
  return T::Decode(json).status();
}

TEST(PortTypes, ABaseTypeTakesItsRefinementsButNotTheConverse) {
  EXPECT_TRUE(PortTypeAccepts("Json", "Json"));
  EXPECT_TRUE(PortTypeAccepts("Json", "Json/Accusation"));
  EXPECT_TRUE(PortTypeAccepts("Json/Accusation", "Json/Accusation"));
  EXPECT_FALSE(PortTypeAccepts("Json/Accusation", "Json"));
  EXPECT_FALSE(PortTypeAccepts("Json/Calibration", "Json/Coalition"));
  EXPECT_FALSE(PortTypeAccepts("Tensors", "Json/Coalition"));
  EXPECT_FALSE(PortTypeAccepts("Tensors/ProjectionKey", "Tensors/Basis"));
  EXPECT_FALSE(PortTypeAccepts("Json", "JsonX/Y"));
  EXPECT_EQ(BaseTypeOf("Tensors/Basis"), "Tensors");
  // Values stored before domain types existed carry the base encoding; decoding checks them.
  EXPECT_TRUE(StoredTypeAccepted("Tensors/ProjectionKey", "Tensors"));
  EXPECT_TRUE(StoredTypeAccepted("Tensors/ProjectionKey", "Tensors/ProjectionKey"));
  EXPECT_FALSE(StoredTypeAccepted("Tensors/ProjectionKey", "Tensors/Basis"));
  EXPECT_FALSE(StoredTypeAccepted("Json/Calibration", "Tensors"));
  EXPECT_FALSE(StoredTypeAccepted("Json/Calibration", "Json/Coalition"));
  EXPECT_EQ(BaseTypeOf("Dataset"), "Dataset");
  EXPECT_EQ(ProjectionKey::TypeName(), "ProjectionKey");
}

TEST(ProjectionKeySchema, NeedsATwoDimensionalFloatKey) {
  TensorMap key;
  EXPECT_NE(DecodeStatus<ProjectionKey>(key).message().find("has no tensor 'key'"),
            std::string::npos);
  key.Put("key", Floats({12}));
  EXPECT_NE(DecodeStatus<ProjectionKey>(key).message().find("float [v, beta]"), std::string::npos);
  key.Put("key", Tensor::FromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(DecodeStatus<ProjectionKey>(key).ok());
  key.Put("key", Floats({4, 30}));
  EXPECT_TRUE(DecodeStatus<ProjectionKey>(key).ok());
  key.Put("unit_weights", Tensor(DType::kFloat64, {0}));
  EXPECT_FALSE(DecodeStatus<ProjectionKey>(key).ok());
}

TEST(BasisSchema, NeedsASquareMatrix) {
  TensorMap basis;
  basis.Put("basis", Floats({4, 3}));
  EXPECT_NE(DecodeStatus<Basis>(basis).message().find("not square"), std::string::npos);
  basis.Put("basis", Floats({4, 4}));
  EXPECT_TRUE(DecodeStatus<Basis>(basis).ok());
}

TEST(ExtractionSchema, NeedsAFingerprintOrCorrelations) {
  TensorMap e;
  e.Put("key", Floats({4, 4}));  // a projection key is not an extraction
  EXPECT_NE(DecodeStatus<Extraction>(e).message().find("neither 'fingerprint' nor"),
            std::string::npos);
  e.Put("correlations", Floats({7}));
  EXPECT_TRUE(DecodeStatus<Extraction>(e).ok());
  e.Put("key_gram", Floats({7}));
  EXPECT_FALSE(DecodeStatus<Extraction>(e).ok());
}

TEST(ActivationsSchema, NeedsOneLabelPerRowAndTheInputShape) {
  TensorMap a;
  a.Put("hidden", Floats({5, 3}));
  a.Put("labels", Tensor::FromVector<int64_t>({4}, {0, 1, 2, 3}));
  a.Put("input_shape", InputShapeTensor({1, 28, 28}));
  EXPECT_NE(DecodeStatus<Activations>(a).message().find("one label per row"), std::string::npos);
  a.Put("labels", Tensor::FromVector<int64_t>({5}, {0, 1, 2, 3, 4}));
  ASSERT_TRUE(DecodeStatus<Activations>(a).ok());
  EXPECT_EQ(*InputShapeOf(a), (std::vector<int64_t>{1, 28, 28}));
  a.Put("input_shape", InputShapeTensor({1, 0, 28}));
  EXPECT_FALSE(DecodeStatus<Activations>(a).ok());
}

TEST(ActivationsSchema, ReadsTheTextualShapeOlderStoresHold) {
  TensorMap a;
  a.Put("hidden", Floats({2, 3}));
  a.Put("labels", Tensor::FromVector<int64_t>({2}, {0, 1}));
  a.SetAttr("input_shape", "3,32,32");
  EXPECT_EQ(*InputShapeOf(a), (std::vector<int64_t>{3, 32, 32}));
  a.SetAttr("input_shape", "3,x,32");
  EXPECT_FALSE(InputShapeOf(a).ok());
}

TEST(CommunityCodesSchema, NeedsUint8CodesOfAtMost64Bits) {
  TensorMap c;
  c.Put("codes", Tensor(DType::kUInt8, {10, 65}));
  EXPECT_FALSE(DecodeStatus<CommunityCodes>(c).ok());
  c.Put("codes", Floats({10, 8}));
  EXPECT_FALSE(DecodeStatus<CommunityCodes>(c).ok());
  c.Put("codes", Tensor(DType::kUInt8, {10, 8}));
  EXPECT_TRUE(DecodeStatus<CommunityCodes>(c).ok());
}

TEST(JsonSchemas, EachRefusesTheOthersValues) {
  const std::string coalition = R"({"members": [1, 4], "method": "average"})";
  const std::string accusation =
      R"({"method": "hard_threshold", "users": 8, "accused": [{"user": 3, "score": 9.1}]})";
  const std::string calibration =
      R"({"statistic": "t", "codebook": "c", "users": 8, "false_accusation": 0.01,
          "null_models": 3, "null_scores": [0.1, 0.2]})";
  EXPECT_TRUE(DecodeStatus<Coalition>(coalition).ok());
  EXPECT_TRUE(DecodeStatus<Accusation>(accusation).ok());
  EXPECT_TRUE(DecodeStatus<Calibration>(calibration).ok());
  EXPECT_FALSE(DecodeStatus<Coalition>(accusation).ok());
  EXPECT_FALSE(DecodeStatus<Accusation>(coalition).ok());
  EXPECT_FALSE(DecodeStatus<Calibration>(accusation).ok());
  EXPECT_FALSE(DecodeStatus<Coalition>(R"({"members": ["a"]})").ok());
  EXPECT_FALSE(
      DecodeStatus<Accusation>(R"({"method": "m", "users": 8, "accused": [{"u": 1}]})").ok());
  EXPECT_NE(DecodeStatus<Coalition>("[1, 2]").message().find("not a valid Coalition value"),
            std::string::npos);
}

}  // namespace
}  // namespace securemark::domain
