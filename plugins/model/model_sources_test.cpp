// model.torchscript and model.checkpoint on files PyTorch itself wrote, run as plugins:
// what they import, what they report, and what they refuse, naming why.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <torch/script.h>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "models/model_zoo.h"
#include "securemark/files.h"
#include "securemark/values.h"
#include "util/process.h"

namespace securemark {
namespace {

// A small scripted MLP, its state_dict, and a conv net that needs three input channels.
constexpr const char* kMakeModels = R"(
import sys, torch
torch.manual_seed(0)
d = sys.argv[1]
mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(),
                          torch.nn.Linear(32, 10))
torch.jit.save(torch.jit.script(mlp), d + '/mlp.pt')
torch.save(mlp.state_dict(), d + '/mlp_state.pt')
rgb = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(10))
rgb(torch.zeros(1, 3, 28, 28))
torch.jit.save(torch.jit.trace(rgb, torch.zeros(1, 3, 28, 28)), d + '/rgb.pt')
zoo = torch.jit.load(d + '/zoo.pt')
torch.save({'epoch': 3, 'state_dict': zoo.state_dict()}, d + '/zoo_checkpoint.pt')
)";

class ModelSourcesTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
    // ctest runs each test in its own process, two at a time: one directory per process.
    dir_ = new std::string(testing::TempDir() + "/model_sources_" + std::to_string(getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    zoo_ = new torch::jit::Module(*models::BuildModel("fc900", 1, 28, 28, 10, 5));
    ASSERT_TRUE(WriteFileAtomic(*dir_ + "/zoo.pt", models::SaveModel(*zoo_)).ok());
    ASSERT_TRUE(WriteFileAtomic(*dir_ + "/make.py", kMakeModels).ok());
    auto py = RunProcess({"/usr/bin/python3", *dir_ + "/make.py", *dir_}, true);
    ASSERT_TRUE(py.ok());
    ASSERT_EQ(py->exit_code, 0) << py->output << " (python3-torch is installed by setup)";
  }
  static const LoadedPlugin& Plugin(const std::string& name) { return **catalog_->Find(name); }

  // Twenty 28x28 grey images with labels.
  static InputValues Sample() {
    Dataset d;
    std::vector<uint8_t> pixels(20 * 28 * 28);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 251);
    d.Put("images", Tensor::FromVector<uint8_t>({20, 28, 28}, pixels));
    std::vector<int64_t> labels(20);
    for (int i = 0; i < 20; ++i) labels[i] = i % 10;
    d.Put("labels", Tensor::FromVector<int64_t>({20}, labels));
    InputValues in;
    in["sample"].push_back({"Dataset", d.Encode(), false});
    return in;
  }
  static nlohmann::json Summary(const std::vector<OutputValue>& outs) {
    return nlohmann::json::parse(FindOutput(outs, "summary")->value.bytes);
  }

  static PluginCatalog* catalog_;
  static std::string* dir_;
  static torch::jit::Module* zoo_;
};
PluginCatalog* ModelSourcesTest::catalog_ = nullptr;
std::string* ModelSourcesTest::dir_ = nullptr;
torch::jit::Module* ModelSourcesTest::zoo_ = nullptr;

TEST_F(ModelSourcesTest, ATorchScriptFileIsImportedDescribedAndRunOnTheSample) {
  auto r = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/mlp.pt"}}, Sample());
  ASSERT_TRUE(r.ok()) << r.status();
  const nlohmann::json s = Summary(*r);
  EXPECT_EQ(s["parameters"], 784 * 32 + 32 + 32 * 10 + 10);
  ASSERT_EQ(s["layers"].size(), 2u) << s.dump();
  EXPECT_EQ(s["layers"][0]["layer"], "1");
  EXPECT_EQ(s["layers"][0]["weight"], nlohmann::json::array({32, 784}));
  EXPECT_EQ(s["sample"]["examples"], 20);
  EXPECT_EQ(s["sample"]["classes"], 10);
  EXPECT_EQ(s["sha256"].get<std::string>().size(), 64u);
  // The imported model is a module LibTorch loads, with the file's weights.
  auto model = models::LoadModel(FindOutput(*r, "model")->value.bytes);
  ASSERT_TRUE(model.ok());
  auto original = models::LoadModel(*ReadFile(*dir_ + "/mlp.pt"));
  EXPECT_TRUE(
      torch::equal(*models::LayerWeight(*model, "3"), *models::LayerWeight(*original, "3")));
}

TEST_F(ModelSourcesTest, WhatTorchScriptRefusesItNames) {
  auto state = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/mlp_state.pt"}}, {});
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("torch.save checkpoint (weights without code)"),
            std::string::npos)
      << state.status();
  EXPECT_NE(state.status().message().find("model.checkpoint"), std::string::npos);

  auto rgb = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/rgb.pt"}}, Sample());
  ASSERT_FALSE(rgb.ok());
  EXPECT_NE(rgb.status().message().find("does not run on input 'sample' (float [20, 1, 28, 28]"),
            std::string::npos)
      << rgb.status();

  const std::string bytes = *ReadFile(*dir_ + "/mlp.pt");
  ASSERT_TRUE(WriteFileAtomic(*dir_ + "/cut.pt", bytes.substr(0, bytes.size() / 2)).ok());
  auto cut = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/cut.pt"}}, {});
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("cut.pt"), std::string::npos) << cut.status();

  ASSERT_TRUE(WriteFileAtomic(*dir_ + "/text.pt", "print('hello')\n").ok());
  auto text = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/text.pt"}}, {});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("is not a TorchScript file"), std::string::npos);

  auto missing = RunNode(Plugin("model.torchscript"), {{"path", *dir_ + "/none.pt"}}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("parameter 'path': cannot read"), std::string::npos)
      << missing.status();
}

TEST_F(ModelSourcesTest, ACheckpointIsLoadedIntoItsArchitecture) {
  auto r =
      RunNode(Plugin("model.checkpoint"),
              {{"path", *dir_ + "/zoo_checkpoint.pt"}, {"model", std::string("fc900")}}, Sample());
  ASSERT_TRUE(r.ok()) << r.status();
  auto model = models::LoadModel(FindOutput(*r, "model")->value.bytes);
  ASSERT_TRUE(model.ok());
  for (const std::string& layer : models::LayerNames(*zoo_)) {
    EXPECT_TRUE(
        torch::equal(*models::LayerWeight(*model, layer), *models::LayerWeight(*zoo_, layer)))
        << layer;
  }
  EXPECT_EQ(Summary(*r)["architecture"], "fc900");

  auto wrong = RunNode(
      Plugin("model.checkpoint"),
      {{"path", *dir_ + "/zoo_checkpoint.pt"}, {"model", std::string("deepmarks_cnn")}}, {});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("zoo_checkpoint.pt"), std::string::npos)
      << wrong.status();
}

}  // namespace
}  // namespace securemark
