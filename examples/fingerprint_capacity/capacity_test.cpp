// The example's unit test, built against the installed SDKs: a real TorchScript module
// and a real AND-ACC codebook go through securemark/testing.h.
#include <gtest/gtest.h>
#include <securemark/testing.h>

#include <sstream>

#include <torch/script.h>
#include <nlohmann/json.hpp>

#include "capacity.h"

namespace {

using example::FingerprintCapacity;
using securemark::NodeTest;
using securemark::codes::Codebook;
using securemark::models::ModelFile;

// Two linear layers: fc1 (20 units of 30 inputs) and fc2 (4 units of 20).
ModelFile TwoLayers() {
  torch::jit::Module m("TwoLayers");
  m.register_parameter("fc1_weight", torch::randn({20, 30}), false);
  m.register_parameter("fc2_weight", torch::randn({4, 20}), false);
  m.define(R"(
def forward(self, x):
    return x.matmul(self.fc1_weight.t()).relu().matmul(self.fc2_weight.t())
)");
  std::ostringstream out;
  m.save(out);
  return ModelFile(out.str());
}

// AND-ACC from the affine plane of order q: q² bits, q² + q customers.
Codebook AndAcc(int64_t q) { return Codebook::AndAcc(*securemark::codes::AffinePlane(q)); }

nlohmann::json Report(NodeTest<FingerprintCapacity>& t) {
  return nlohmann::json::parse(t.Get(FingerprintCapacity::kReport)->text());
}

TEST(FingerprintCapacityTest, ALayerFitsACodeNoLongerThanWhatEachUnitCarries) {
  NodeTest<FingerprintCapacity> t;
  t.Give(FingerprintCapacity::kModel, TwoLayers()).Give(FingerprintCapacity::kCodebook, AndAcc(5));
  ASSERT_TRUE(t.Set(FingerprintCapacity::kLayer, std::string("fc1")).Run().ok());
  nlohmann::json r = Report(t);
  EXPECT_EQ(r["units"], 20);
  EXPECT_EQ(r["signal_length"], 30);
  EXPECT_EQ(r["code_length"], 25);
  EXPECT_EQ(r["users"], 30);
  EXPECT_EQ(r["fits"], true);
  // fc2's units carry 20 values: a 25-bit code does not fit.
  ASSERT_TRUE(t.Set(FingerprintCapacity::kLayer, std::string("fc2")).Run().ok());
  r = Report(t);
  EXPECT_EQ(r["signal_length"], 20);
  EXPECT_EQ(r["fits"], false);
  EXPECT_EQ(r["spare"], -5);
}

TEST(FingerprintCapacityTest, UnknownLayersAndBrokenModelsAreRefusedByName) {
  NodeTest<FingerprintCapacity> t;
  t.Give(FingerprintCapacity::kModel, TwoLayers()).Give(FingerprintCapacity::kCodebook, AndAcc(3));
  const securemark::Status unknown = t.Set(FingerprintCapacity::kLayer, std::string("fc3")).Run();
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("no weighted layer 'fc3'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.message().find("fc1"), std::string::npos) << unknown;  // suggested
  std::string truncated = TwoLayers().bytes();
  truncated.resize(truncated.size() / 2);
  NodeTest<FingerprintCapacity> cut;
  cut.Give(FingerprintCapacity::kModel, ModelFile(truncated))
      .Give(FingerprintCapacity::kCodebook, AndAcc(3));
  const securemark::Status broken = cut.Run();
  EXPECT_FALSE(broken.ok());
  EXPECT_NE(broken.message().find("not a loadable TorchScript module"), std::string::npos)
      << broken;
}

}  // namespace
