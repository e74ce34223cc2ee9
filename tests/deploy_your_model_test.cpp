// A vendor's own model end to end: PyTorch trains a ResNet with batch norm and residual
// connections and saves it with torch.jit.save; pipelines/deploy-your-model.yaml imports
// it, fingerprints a layer named by its qualified name and delivers copies; customers
// attack with plain PyTorch; `securemark trace` names exactly the colluders, and nobody
// for the base model or an independently trained one. Delivering to one more customer
// later re-uses everything and changes no file already delivered.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "investigation_fixture.h"
#include "util/digest.h"
#include "util/files.h"

namespace securemark {
namespace {

class DeployYourModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
    dir_ = testing::TempDir() + "/deploy_your_model";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  int Python(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/python3"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, true);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << r->output;
    return r->exit_code;
  }
  int Deploy(int customers, std::string* out) {
    return Securemark("run " + kSource + "/pipelines/deploy-your-model.yaml --plain --jobs 2 " +
                          "--store " + dir_ + "/store --set model=" + dir_ + "/resnet.pt " +
                          "layer=layer2.0.conv2 examples=3000 embed_batches=30 customers=" +
                          std::to_string(customers) + " export_dir=" + dir_ + "/delivered",
                      out);
  }
  json Trace(const std::string& file) {
    std::string out;
    EXPECT_EQ(Securemark("trace " + file + " --store " + dir_ + "/store --json --nulls 8", &out,
                         /*with_stderr=*/false),
              0);
    return json::parse(out, nullptr, false);
  }
  static std::vector<int64_t> Accused(const json& verdict) { return AccusedUsers(verdict); }
  std::string Copy(int customer) {
    return dir_ + "/delivered/customer-" + std::to_string(customer) + ".pt";
  }
  std::string dir_;
};

TEST_F(DeployYourModelTest, APyTorchResNetIsFingerprintedDeliveredAndTraced) {
  const std::string script = kSource + "/tests/vendor_model/";
  ASSERT_EQ(Python({script + "train_resnet.py", dir_ + "/resnet.pt", "3000", "1", "0"}), 0);
  ASSERT_EQ(Python({script + "train_resnet.py", dir_ + "/independent.pt", "3000", "1", "7"}), 0);
  std::string out;
  ASSERT_EQ(Deploy(4, &out), 0) << out;
  for (int c = 0; c < 4; ++c) ASSERT_TRUE(fs::exists(Copy(c))) << c;

  // The layers the import found, by qualified name, include the one fingerprinted.
  std::string summary;
  ASSERT_EQ(Securemark("show base.summary --content --store " + dir_ + "/store", &summary), 0);
  EXPECT_NE(summary.find("\"layer\":\"layer2.0.conv2\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"sample\""), std::string::npos) << summary;

  EXPECT_EQ(Accused(Trace(Copy(2))), std::vector<int64_t>{2});
  ASSERT_EQ(Python({script + "collude.py", Copy(1), Copy(3), dir_ + "/average.pt",
                    dir_ + "/finetuned.pt"}),
            0);
  EXPECT_EQ(Accused(Trace(dir_ + "/average.pt")), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Accused(Trace(dir_ + "/finetuned.pt")), (std::vector<int64_t>{1, 3}));
  // Negative controls: the model the copies were made from, and one trained apart.
  for (const char* innocent : {"/resnet.pt", "/independent.pt"}) {
    const json verdict = Trace(dir_ + innocent);
    ASSERT_TRUE(verdict.is_object()) << innocent;
    EXPECT_TRUE(verdict["accused"].empty()) << innocent << ": " << verdict.dump();
  }

  // One more customer later: only its embedding and delivery run; no file changes.
  std::vector<std::string> before;
  for (int c = 0; c < 4; ++c) before.push_back(Sha256Hex(*ReadFile(Copy(c))));
  ASSERT_EQ(Deploy(5, &out), 0) << out;
  EXPECT_NE(out.find("2 completed, 11 cached"), std::string::npos) << out;
  for (int c = 0; c < 4; ++c) EXPECT_EQ(Sha256Hex(*ReadFile(Copy(c))), before[c]) << c;
  EXPECT_EQ(Accused(Trace(Copy(4))), std::vector<int64_t>{4});
}

}  // namespace
}  // namespace securemark
