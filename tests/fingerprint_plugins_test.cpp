// The fingerprinting plugins chained as a vendor would: train, embed, deliver, collude,
// extract, detect; PyTorch itself loads a delivered model; bad inputs are refused.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "models/model_zoo.h"
#include "securemark/values.h"
#include "util/files.h"
#include "util/process.h"

namespace securemark {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

std::string Output(const std::vector<OutputValue>& outs, const std::string& port) {
  const OutputValue* o = FindOutput(outs, port);
  if (o == nullptr) ADD_FAILURE() << "no output " << port;
  return o != nullptr ? o->value.bytes : "";
}

class FingerprintPluginsTest : public testing::Test {
 protected:
  // One small base model and a (31,6,1) code shared by every test.
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
    if (!fs::exists(kFmnist)) return;
    train_ = Run("dataset.idx", {{"split", std::string("train")}, {"limit", int64_t{1500}}}, {},
                 "dataset");
    test_ = Run("dataset.idx", {{"split", std::string("test")}, {"limit", int64_t{300}}}, {},
                "dataset");
    InputValues in;
    in["train"].push_back({"Dataset", train_, false});
    base_ =
        Run("server_trainer.standalone",
            {{"model", std::string("deepmarks_cnn")}, {"epochs", int64_t{1}}, {"seed", int64_t{3}}},
            std::move(in), "model");
    auto code =
        RunNode(Plugin("cic.bibd"),
                {{"design", std::string("singer")}, {"q", int64_t{5}}, {"seed", int64_t{2}}}, {});
    ASSERT_TRUE(code.ok()) << code.status();
    codebook_ = Output(*code, "codebook");
    basis_ = Output(*code, "basis");
  }
  void SetUp() override {
    if (!fs::exists(kFmnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }

  static const LoadedPlugin& Plugin(const std::string& name) { return **catalog_->Find(name); }
  static std::string Run(const std::string& plugin, ParamMap params, InputValues in,
                         const std::string& port) {
    auto out = RunNode(Plugin(plugin), std::move(params), std::move(in));
    EXPECT_TRUE(out.ok()) << plugin << ": " << out.status();
    return out.ok() ? Output(*out, port) : "";
  }

  static StatusOr<std::vector<OutputValue>> Embed(int64_t customer, ParamMap extra = {},
                                                  const std::string& key = "") {
    InputValues in;
    in["model"].push_back({"Model", base_, false});
    in["data"].push_back({"Dataset", train_, false});
    in["test"].push_back({"Dataset", test_, false});
    in["codebook"].push_back({"Codebook", codebook_, false});
    in["basis"].push_back({"Tensors", basis_, true});
    if (!key.empty()) in["key"].push_back({"Tensors", key, true});
    ParamMap params = {{"customer", customer}, {"max_batches", int64_t{30}}, {"seed", customer}};
    for (auto& [k, v] : extra) params[k] = v;
    return RunNode(Plugin("embedder.projection"), std::move(params), std::move(in));
  }

  // Whom the uncalibrated detector names in `model` (aligned to the base model or not);
  // {-1} when the fingerprint cannot even be read.
  static std::vector<int64_t> Accused(const std::string& model, const std::string& key,
                                      bool align) {
    InputValues ex;
    ex["model"].push_back({"Model", model, false});
    ex["key"].push_back({"Tensors", key, true});
    if (align) ex["reference"].push_back({"Model", base_, false});
    auto extracted = RunNode(Plugin("extractor.projection"), {}, std::move(ex));
    if (!extracted.ok()) return {-1};
    InputValues det;
    det["codebook"].push_back({"Codebook", codebook_, false});
    det["basis"].push_back({"Tensors", basis_, true});
    det["extracted"].push_back({"Tensors", Output(*extracted, "extracted"), false});
    json a = json::parse(Run("detector.hard_threshold", {}, std::move(det), "accusation"));
    std::vector<int64_t> users;
    for (const auto& u : a["accused"]) users.push_back(u["user"].get<int64_t>());
    return users;
  }

  static PluginCatalog* catalog_;
  static std::string train_, test_, base_, codebook_, basis_;
};
PluginCatalog* FingerprintPluginsTest::catalog_ = nullptr;
std::string FingerprintPluginsTest::train_, FingerprintPluginsTest::test_,
    FingerprintPluginsTest::base_, FingerprintPluginsTest::codebook_,
    FingerprintPluginsTest::basis_;

TEST_F(FingerprintPluginsTest, DeliveredCopiesRunInPyTorchAndTheirAverageNamesBothCustomers) {
  auto first = Embed(4);
  ASSERT_TRUE(first.ok()) << first.status();
  const OutputValue* key_out = FindOutput(*first, "key");
  ASSERT_NE(key_out, nullptr);
  EXPECT_TRUE(key_out->value.secret);
  const std::string key = key_out->value.bytes;
  EXPECT_EQ(FindOutput(*first, "model")->labels.at("customer"), "4");
  json report = json::parse(Output(*first, "report"));
  EXPECT_LT(report["fingerprint_mse"].get<double>(), 0.1) << report.dump();
  // A second customer with the key made on first use: no key output this time.
  auto second = Embed(20, {}, key);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(FindOutput(*second, "key"), nullptr);

  const std::string dir = testing::TempDir() + "/delivered";
  fs::remove_all(dir);
  std::vector<std::string> delivered;
  for (auto [customer, outs] : {std::pair{4, &*first}, std::pair{20, &*second}}) {
    InputValues in;
    in["model"].push_back({"Model", Output(*outs, "model"), false});
    in["key"].push_back({"Tensors", key, true});
    in["sample"].push_back({"Dataset", test_, false});
    auto d = RunNode(Plugin("delivery.torchscript"),
                     {{"customer", int64_t{customer}}, {"export_dir", dir}}, std::move(in));
    ASSERT_TRUE(d.ok()) << d.status();
    json receipt = json::parse(Output(*d, "receipt"));
    EXPECT_EQ(receipt["customer"], customer);
    EXPECT_TRUE(fs::exists(receipt["file"].get<std::string>()));
    delivered.push_back(Output(*d, "model"));
  }

  // PyTorch loads the delivered file and computes what LibTorch computes.
  if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") == 0) {
    const std::string script = dir + "/run.py";
    std::ofstream(script) << "import sys, torch\n"
                             "m = torch.jit.load(sys.argv[1])\n"
                             "x = torch.linspace(0, 1, 2 * 28 * 28).reshape(2, 1, 28, 28)\n"
                             "print(' '.join('%.6f' % v for v in m(x).flatten().tolist()))\n";
    auto py = RunProcess({"/usr/bin/python3", script, dir + "/customer-4.pt"}, true);
    ASSERT_TRUE(py.ok());
    ASSERT_EQ(py->exit_code, 0) << py->output;
    auto model = models::LoadModel(delivered[0]);
    ASSERT_TRUE(model.ok());
    const torch::Tensor x = torch::linspace(0, 1, 2 * 28 * 28).reshape({2, 1, 28, 28});
    const torch::Tensor ours = model->forward({x}).toTensor().flatten();
    std::istringstream values(py->output);
    for (int64_t i = 0; i < ours.numel(); ++i) {
      double v = 0;
      ASSERT_TRUE(values >> v) << py->output;
      EXPECT_NEAR(v, ours[i].item<double>(), 1e-4);
    }
  } else {
    ADD_FAILURE() << "python3-torch is not installed (scripts/setup.sh installs it)";
  }

  InputValues pool;
  for (const auto& m : delivered) pool["models"].push_back({"Model", m, false});
  const std::string averaged = Run("attacker.collude", {}, std::move(pool), "model");
  InputValues ex;
  ex["model"].push_back({"Model", averaged, false});
  ex["key"].push_back({"Tensors", key, true});
  const std::string extracted = Run("extractor.projection", {}, std::move(ex), "extracted");
  InputValues det;
  det["codebook"].push_back({"Codebook", codebook_, false});
  det["basis"].push_back({"Tensors", basis_, true});
  det["extracted"].push_back({"Tensors", extracted, false});
  json accusation = json::parse(Run("detector.hard_threshold", {}, std::move(det), "accusation"));
  std::vector<int64_t> accused;
  for (const auto& a : accusation["accused"]) accused.push_back(a["user"].get<int64_t>());
  EXPECT_EQ(accused, (std::vector<int64_t>{4, 20})) << accusation.dump();
}

// A customer re-parameterises its copy: same outputs, moved weights. Read at fixed
// positions the fingerprint names someone else (or no one); aligned to the vendor's
// reference model it names the customer again. Subtracting the unit mean (weight shift)
// erases what the projection reads, and alignment cannot bring it back.
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

TEST_F(FingerprintPluginsTest, AFingerprintLongerThanTheLayerIsRefused) {
  auto out = Embed(1, {{"layer", std::string("conv1")}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("31-entry fingerprint does not fit layer 'conv1'"),
            std::string::npos)
      << out.status();
  auto missing = Embed(1, {{"layer", std::string("conv7")}});
  EXPECT_NE(missing.status().message().find("layers: conv1, conv2"), std::string::npos)
      << missing.status();
  auto stranger = Embed(31);
  EXPECT_NE(stranger.status().message().find("customer 31 is not in"), std::string::npos)
      << stranger.status();
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

TEST_F(FingerprintPluginsTest, DeliveryRefusesAModelThatCarriesTheKey) {
  auto embedded = Embed(5);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  const std::string key_bytes = Output(*embedded, "key");
  auto model = models::LoadModel(Output(*embedded, "model"));
  ASSERT_TRUE(model.ok());
  TensorMap key_map = *TensorMap::Decode(key_bytes);
  const Tensor* key = *key_map.Get("key");
  model->register_buffer("leaked", torch::from_blob(const_cast<char*>(key->raw_data()),
                                                    {key->dim(0), key->dim(1)}, torch::kFloat64)
                                       .to(torch::kFloat32));
  InputValues in;
  in["model"].push_back({"Model", models::SaveModel(*model), false});
  in["key"].push_back({"Tensors", key_bytes, true});
  auto out = RunNode(Plugin("delivery.torchscript"), {{"customer", int64_t{5}}}, in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("contains bytes of the secret key"), std::string::npos)
      << out.status();
}

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
}  // namespace securemark
