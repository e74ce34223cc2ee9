// server_trainer.standalone as a plugin: checkpoints, resuming from one, determinism.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"

namespace securemark {
namespace {

class StandaloneTrainerTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
    catalog_ = PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"});
    auto data = RunNode(**catalog_.Find("dataset.idx"),
                        {{"split", std::string("train")}, {"limit", int64_t{600}}}, {});
    ASSERT_TRUE(data.ok()) << data.status();
    train_ = (*data)[0].value.bytes;
  }
  StatusOr<std::vector<OutputValue>> Train(ParamMap params, const std::string& init = "") {
    InputValues in;
    in["train"].push_back({"Dataset", train_, false});
    if (!init.empty()) in["init"].push_back({"Model", init, false});
    params.emplace("model", std::string("fc900"));
    params.emplace("seed", int64_t{4});
    return RunNode(**catalog_.Find("server_trainer.standalone"), params, std::move(in));
  }
  PluginCatalog catalog_;
  std::string train_;
};

TEST_F(StandaloneTrainerTest, CheckpointsEveryEpochAndResumesFromOne) {
  auto run = Train({{"epochs", int64_t{2}}, {"checkpoint_every", int64_t{1}}});
  ASSERT_TRUE(run.ok()) << run.status();
  std::vector<const OutputValue*> checkpoints;
  const OutputValue* model = nullptr;
  for (const auto& o : *run) {
    if (o.port == "checkpoints") checkpoints.push_back(&o);
    if (o.port == "model") model = &o;
  }
  ASSERT_EQ(checkpoints.size(), 2u);
  EXPECT_EQ(checkpoints[0]->labels.at("epoch"), "1");
  EXPECT_EQ(checkpoints[1]->labels.at("epoch"), "2");
  ASSERT_NE(model, nullptr);
  // The final checkpoint holds the final weights (it differs only in the training flag).
  EXPECT_EQ(checkpoints[1]->value.bytes.size(), model->value.bytes.size());

  // Same seed, same bytes.
  auto again = Train({{"epochs", int64_t{2}}, {"checkpoint_every", int64_t{1}}});
  ASSERT_TRUE(again.ok());
  for (const auto& o : *again) {
    if (o.port == "model") {
      EXPECT_TRUE(o.value.bytes == model->value.bytes);  // no dump of 3 MB on failure
    }
  }

  auto resumed = Train({{"epochs", int64_t{1}}}, checkpoints[0]->value.bytes);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  auto broken = Train({{"epochs", int64_t{1}}}, "PK not really a model");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("input 'init'"), std::string::npos) << broken.status();
  auto bad_norm = Train({{"mean", std::vector<double>{0.1, 0.2}}});
  EXPECT_NE(bad_norm.status().message().find("mean/std"), std::string::npos) << bad_norm.status();
}

}  // namespace
}  // namespace securemark
