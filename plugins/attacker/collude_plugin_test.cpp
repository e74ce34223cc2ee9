// attacker.collude: every entry pooled by the chosen rule; mismatched members refused.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/model_zoo.h"
#include "plugin_testing/fingerprint_fixture.h"
#include "securemark/values.h"

namespace securemark::fingerprint_testing {
namespace {

TEST_F(FingerprintPluginsTest, CollusionPoolsEveryEntryByTheChosenRule) {
  std::vector<torch::jit::Module> copies;
  InputValues in;
  for (uint64_t seed : {1, 2, 3}) {
    copies.push_back(*models::BuildModel("fc900", 1, 8, 8, 10, seed));
    in["models"].push_back({"Model", models::SaveModel(copies.back()), false});
  }
  auto weight = [](const torch::jit::Module& m) { return *models::LayerWeight(m, "fc2"); };
  const torch::Tensor stacked =
      torch::stack({weight(copies[0]), weight(copies[1]), weight(copies[2])});
  auto pooled = [&](ParamMap params) {
    auto out = RunNode(Plugin("attacker.collude"), std::move(params), in);
    EXPECT_TRUE(out.ok()) << out.status();
    return weight(*models::LoadModel(Output(*out, "model")));
  };
  EXPECT_TRUE(torch::allclose(pooled({}), stacked.mean(0)));
  EXPECT_TRUE(
      torch::equal(pooled({{"method", std::string("median")}}), std::get<0>(stacked.median(0))));
  const torch::Tensor random = pooled({{"method", std::string("random")}});
  const torch::Tensor from_some_copy = (stacked == random.unsqueeze(0)).any(0);
  EXPECT_TRUE(from_some_copy.all().item<bool>());
  auto bad = RunNode(Plugin("attacker.collude"), {{"members", std::vector<int64_t>{0, 7}}}, in);
  EXPECT_NE(bad.status().message().find("member 7 is not among the 3 models"), std::string::npos)
      << bad.status();
  in["models"].push_back(
      {"Model", models::SaveModel(*models::BuildModel("fc900", 1, 9, 9, 10, 4)), false});
  auto mixed = RunNode(Plugin("attacker.collude"), {}, in);
  EXPECT_NE(mixed.status().message().find("differ"), std::string::npos) << mixed.status();
}

}  // namespace
}  // namespace securemark::fingerprint_testing
