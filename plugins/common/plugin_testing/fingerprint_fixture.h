// What the fingerprinting plugins' tests share: the plugins from build/plugins, run
// in-process, and one small base model and (31,6,1) code made once per test binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "securemark/values.h"

namespace securemark::fingerprint_testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

inline std::string Output(const std::vector<OutputValue>& outs, const std::string& port) {
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

  static inline PluginCatalog* catalog_ = nullptr;
  static inline std::string train_, test_, base_, codebook_, basis_;
};

}  // namespace securemark::fingerprint_testing
