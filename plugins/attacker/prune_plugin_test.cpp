// attacker.prune and attacker.finetune: pruned zeros stay zero through fine-tuning.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/model_zoo.h"
#include "plugin_testing/fingerprint_fixture.h"

namespace securemark::fingerprint_testing {
namespace {

TEST_F(FingerprintPluginsTest, PruningKeepsItsZerosThroughFineTuning) {
  for (const std::string scope : {"layer", "global"}) {
    InputValues in;
    in["model"].push_back({"Model", base_, false});
    in["data"].push_back({"Dataset", train_, false});
    in["test"].push_back({"Dataset", test_, false});
    auto out = RunNode(Plugin("attacker.prune"),
                       {{"rate", 0.6}, {"scope", scope}, {"fraction", 0.2}, {"seed", int64_t{1}}},
                       std::move(in));
    ASSERT_TRUE(out.ok()) << out.status();
    json report = json::parse(Output(*out, "report"));
    EXPECT_NEAR(report["zeroed"].get<double>(), 0.6, 0.01) << scope;
    EXPECT_EQ(report["examples"], 300);
    EXPECT_GE(report["test_accuracy"].get<double>(), 0.0);
    auto pruned = models::LoadModel(Output(*out, "model"));
    ASSERT_TRUE(pruned.ok());
    int64_t zeros = 0, total = 0;
    for (const auto& p : pruned->parameters()) {
      if (p.dim() < 2) continue;
      zeros += p.eq(0).sum().item<int64_t>();
      total += p.numel();
    }
    EXPECT_GE(static_cast<double>(zeros) / total, 0.59) << scope;  // fine-tuning kept them
  }
  InputValues in;
  in["model"].push_back({"Model", base_, false});
  in["data"].push_back({"Dataset", train_, false});
  auto tuned = RunNode(Plugin("attacker.finetune"), {{"fraction", 0.1}}, std::move(in));
  ASSERT_TRUE(tuned.ok()) << tuned.status();
  EXPECT_NE(Output(*tuned, "model"), base_);
  EXPECT_EQ(json::parse(Output(*tuned, "report"))["examples"], 150);
  InputValues no_data;
  no_data["model"].push_back({"Model", base_, false});
  auto refused = RunNode(Plugin("attacker.finetune"), {}, std::move(no_data));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("needs input 'data'"), std::string::npos);
}

}  // namespace
}  // namespace securemark::fingerprint_testing
