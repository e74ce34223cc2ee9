// delivery.torchscript: a delivered copy loads and runs in PyTorch, and a copy carrying the key is
// refused.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/model_zoo.h"
#include "plugin_testing/fingerprint_fixture.h"
#include "securemark/files.h"
#include "securemark/values.h"
#include "util/process.h"

namespace securemark::fingerprint_testing {
namespace {

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

}  // namespace
}  // namespace securemark::fingerprint_testing
