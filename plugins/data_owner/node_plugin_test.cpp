// data_owner.node against a scripted server over a real ZeroMQ channel: what it sends for
// its images (hidden states through its defender, never pixels), which defender it uses,
// and that a defender made for another cut stops it with the reason.
#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/idx_reader.h"
#include "exec/local_context.h"
#include "models/model_zoo.h"
#include "models/training.h"
#include "securemark/party.h"
#include "split/protocol.h"
#include "split/split_config.h"
#include "split/split_model.h"
#include "split/tensor_frames.h"

namespace securemark {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const std::string kFmnist = "/usr/share/datasets/fashion-mnist/";
constexpr int64_t kExamples = 64;

struct Session {
  StatusOr<std::vector<OutputValue>> result = InternalError("not run");
  std::optional<Message> act;  // the owner's first ACT
};

class DataOwnerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  void SetUp() override {
    if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "no Fashion-MNIST";
  }

  static EncodedValue Defender(const std::string& plugin, ParamMap params) {
    auto out = RunNode(**catalog_->Find(plugin), params, {});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? FindOutput(*out, "model")->value : EncodedValue{};
  }

  // Plays the server of `config`: takes the owner's JOIN, sends STEP with a fresh head,
  // keeps the first ACT, then sends STOP.
  static Session Train(std::vector<EncodedValue> defenders, const split::SplitConfig& config) {
    Session session;
    PartyInfo server;
    server.name = server.role = "server";
    server.curve = false;
    server.bind = "tcp://127.0.0.1:*";
    server.peers = {{"owner@0", ""}};
    auto listener = party::Listener::Open(server, split::ProtocolOptions(64));
    if (!listener.ok()) {
      session.result = listener.status();
      return session;
    }
    ExecutionHooks hooks;
    hooks.party.emplace();
    hooks.party->name = "owner@0";
    hooks.party->role = "owner";
    hooks.party->curve = false;
    hooks.party->connect = (*listener)->endpoint();
    hooks.party->peers = {{"server", ""}};
    InputValues inputs;
    for (EncodedValue& d : defenders) inputs["defenders"].push_back(std::move(d));
    const ParamMap params = {{"images", kFmnist + "train-images-idx3-ubyte.gz"},
                             {"labels", kFmnist + "train-labels-idx1-ubyte.gz"},
                             {"limit", kExamples},
                             {"server_timeout", 60.0},
                             {"release_defender", true}};
    std::atomic<bool> finished{false};
    std::thread owner([&] {
      session.result =
          RunNode(**catalog_->Find("data_owner.node"), params, std::move(inputs), hooks);
      finished = true;
    });
    std::vector<std::string> why;
    auto next = [&](const std::string& kind) -> std::optional<Message> {
      while (!finished) {
        auto e = (*listener)->Receive(milliseconds(100), why);
        if (e && e->message.kind == kind) return e->message;
      }
      return std::nullopt;
    };
    if (next("JOIN")) {
      auto module = models::BuildModel(config.architecture, config.channels, config.height,
                                       config.width, config.classes, 0);
      auto cut = split::SplitModel::Make(std::move(module).value(), config.architecture,
                                         config.split_after,
                                         {config.channels, config.height, config.width});
      Message step{"STEP", {{"round", 0}, {"config", config.ToJson()}}, {}};
      split::AddTensor(step, "input_mean", cut->module().attr("input_mean").toTensor());
      split::AddTensor(step, "input_std", cut->module().attr("input_std").toTensor());
      const std::vector<torch::Tensor> head = cut->HeadParameters();
      for (size_t i = 0; i < head.size(); ++i)
        split::AddTensor(step, cut->head_names()[i], head[i]);
      EXPECT_TRUE((*listener)->Send("owner@0", step).ok());
      session.act = next("ACT");
    }
    (void)(*listener)->Send("owner@0", {"STOP", json::object(), {}});
    owner.join();
    return session;
  }

  static json Summary(const Session& s) {
    return json::parse(FindOutput(*s.result, "summary")->value.bytes);
  }
  static split::SplitConfig Config() {
    split::SplitConfig c;
    c.batch = 8;
    c.rounds = 10;
    return c;
  }
  static inline PluginCatalog* catalog_ = nullptr;
};

TEST_F(DataOwnerTest, WithoutADefenderTheHeadsOutputLeavesAndNoPixel) {
  Session s = Train({}, Config());
  ASSERT_TRUE(s.result.ok()) << s.result.status();
  ASSERT_TRUE(s.act.has_value());
  auto sent = split::TensorsOf(*s.act, {"hidden", "labels"});
  ASSERT_TRUE(sent.ok()) << sent.status();
  const torch::Tensor hidden = (*sent)[0];
  ASSERT_EQ(hidden.sizes().vec(), (std::vector<int64_t>{8, 900}));
  // Every row sent is the head's output for one of the owner's images: the head as the
  // server sent it, then the identity.
  auto data = data::ReadIdxDataset(kFmnist + "train-images-idx3-ubyte.gz",
                                   kFmnist + "train-labels-idx1-ubyte.gz", kExamples);
  ASSERT_TRUE(data.ok()) << data.status();
  split::SplitConfig c = Config();
  auto cut = split::SplitModel::Make(
      *models::BuildModel(c.architecture, c.channels, c.height, c.width, c.classes, 0),
      c.architecture, c.split_after, {1, 28, 28});
  const torch::Tensor images = models::ToUnitRange(models::ImageBytes(**data->Get("images")));
  torch::NoGradGuard no_grad;
  const torch::Tensor all = cut->Head(images);
  const torch::Tensor distance = (hidden.unsqueeze(1) - all.unsqueeze(0)).abs().amax(2).amin(1);
  EXPECT_LT(distance.max().item<double>(), 1e-5);
  // No message frame holds the images' pixels.
  for (const std::string& payload : s.act->payloads) {
    EXPECT_NE(payload.size(), static_cast<size_t>(8 * 28 * 28));
    EXPECT_NE(payload.size(), static_cast<size_t>(8 * 28 * 28 * 4));
  }
  EXPECT_EQ(Summary(s)["defender"], "none");
}

TEST_F(DataOwnerTest, TheConnectedDefenderTransformsWhatLeaves) {
  Session s = Train({Defender("defender.mlp", {{"variant", int64_t{2}}})}, Config());
  ASSERT_TRUE(s.result.ok()) << s.result.status();
  ASSERT_TRUE(s.act.has_value());
  auto sent = split::TensorsOf(*s.act, {"hidden", "labels"});
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ((*sent)[0].sizes().vec(), (std::vector<int64_t>{8, 900}));
  EXPECT_EQ(Summary(s)["defender"], "defender.mlp:2");
  // The released defender is the one it was given (trained from there).
  const OutputValue* released = FindOutput(*s.result, "defender");
  ASSERT_NE(released, nullptr);
  auto m = models::LoadModel(released->value.bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->attr("securemark_defender").toStringRef(), "defender.mlp:2");
}

TEST_F(DataOwnerTest, ADefenderMadeForAnotherCutStopsTheOwnerWithTheReason) {
  Session s = Train({Defender("defender.deconv", {{"architecture", std::string("deepmarks_cnn")},
                                                  {"split_after", std::string("conv2")}})},
                    Config());
  ASSERT_FALSE(s.result.ok());
  EXPECT_FALSE(s.act.has_value());
  EXPECT_NE(s.result.status().message().find("cannot take part"), std::string::npos)
      << s.result.status();
  EXPECT_NE(s.result.status().message().find(
                "input 'defenders[0]' (defender.deconv:1) does not take this cut's hidden "
                "states [900]"),
            std::string::npos)
      << s.result.status();
  // A defender that changes the hidden state's shape is refused too.
  torch::jit::Module halve("Halve");
  halve.define("def forward(self, x):\n  return x[:, :450]\n");
  Session narrow = Train({{"Model", models::SaveModel(halve), false}}, Config());
  ASSERT_FALSE(narrow.result.ok());
  EXPECT_NE(narrow.result.status().message().find(
                "input 'defenders[0]' (defenders[0]) turns hidden states [900] into [450]; a "
                "defender must keep their shape"),
            std::string::npos)
      << narrow.result.status();
}

}  // namespace
}  // namespace securemark
