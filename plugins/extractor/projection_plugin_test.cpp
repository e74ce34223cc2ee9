// extractor.projection: alignment undoes re-parameterisation, and a model of another shape is a
// clear error.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/model_zoo.h"
#include "plugin_testing/fingerprint_fixture.h"
#include "securemark/values.h"

namespace securemark::fingerprint_testing {
namespace {

TEST_F(FingerprintPluginsTest, ReparameterisedCopiesAreTracedAfterAlignmentOnly) {
  auto embedded = Embed(7);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  const std::string key = Output(*embedded, "key");
  const std::string copy = Output(*embedded, "model");
  auto accused = [&](const std::string& model, bool align) { return Accused(model, key, align); };
  ASSERT_EQ(accused(copy, false), (std::vector<int64_t>{7}));
  for (int64_t dummies : {0, 4}) {
    InputValues in;
    in["model"].push_back({"Model", copy, false});
    const std::string moved = Run(
        "attacker.reparam",
        {{"dummy_pairs", dummies}, {"min_scale", 0.5}, {"max_scale", 2.0}, {"seed", int64_t{3}}},
        std::move(in), "model");
    // Same function: identical predictions on the test images.
    auto a = models::LoadModel(copy), b = models::LoadModel(moved);
    ASSERT_TRUE(a.ok() && b.ok());
    const torch::Tensor x = torch::rand({16, 1, 28, 28});
    EXPECT_TRUE(
        torch::allclose(a->forward({x}).toTensor(), b->forward({x}).toTensor(), 1e-4, 1e-4));
    EXPECT_NE(accused(moved, false), (std::vector<int64_t>{7})) << dummies;
    EXPECT_EQ(accused(moved, true), (std::vector<int64_t>{7})) << dummies;
  }
  InputValues in;
  in["model"].push_back({"Model", copy, false});
  const std::string shifted =
      Run("attacker.weight_shift", {{"layer", std::string("conv2")}}, std::move(in), "model");
  // The key weighs conv2's channels with secret zero-sum weights: subtracting their mean
  // (or any common vector) does not move the fingerprint.
  EXPECT_EQ(accused(shifted, true), (std::vector<int64_t>{7}));
  // A reference of another architecture is refused with the reason.
  auto other = models::BuildModel("fc900", 1, 28, 28, 10, 1);
  InputValues ex;
  ex["model"].push_back({"Model", copy, false});
  ex["key"].push_back({"Tensors", key, true});
  ex["reference"].push_back({"Model", models::SaveModel(*other), false});
  auto refused = RunNode(Plugin("extractor.projection"), {}, std::move(ex));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("aligning 'model' to 'reference'"), std::string::npos)
      << refused.status();
}

TEST_F(FingerprintPluginsTest, ExtractionFromAModelOfAnotherShapeIsAClearError) {
  auto embedded = Embed(2);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  const std::string key = Output(*embedded, "key");
  auto other = models::BuildModel("fc900", 1, 28, 28, 10, 0);
  ASSERT_TRUE(other.ok());
  InputValues in;
  in["model"].push_back({"Model", models::SaveModel(*other), false});
  in["key"].push_back({"Tensors", key, true});
  auto out = RunNode(Plugin("extractor.projection"), {{"layer", std::string("fc2")}}, in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("the key weighs 32 units but 'fc2' has 900"),
            std::string::npos)
      << out.status();
  auto by_key = RunNode(Plugin("extractor.projection"), {}, in);  // the key's layer: conv2
  EXPECT_NE(by_key.status().message().find("no layer 'conv2'"), std::string::npos)
      << by_key.status();
  in["model"][0].bytes = "PK\x03\x04 truncated";
  auto corrupt = RunNode(Plugin("extractor.projection"), {}, in);
  EXPECT_NE(corrupt.status().message().find("input 'model'"), std::string::npos)
      << corrupt.status();
}

}  // namespace
}  // namespace securemark::fingerprint_testing
