// A vendor's own model and data end to end: PyTorch trains a ResNet with batch norm and
// residual connections and saves it with torch.jit.save; the vendor's data is a folder of
// PNG images, one sub-directory per class. pipelines/deploy-your-model.yaml imports the
// model, fingerprints a layer named by its qualified name and delivers 8 copies, which
// PyTorch loads and runs; customers attack with plain PyTorch;
// `securemark trace` names exactly the colluders, and nobody for the base model or an
// independently trained one. Delivering to one more customer later re-uses everything
// and changes no file already delivered.
#include <filesystem>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/idx_reader.h"
#include "data/image_folder.h"
#include "investigation_fixture.h"
#include "securemark/digest.h"
#include "securemark/files.h"

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
  int Python(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {"/usr/bin/python3"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, true);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << r->output;
    if (out != nullptr) *out = r->output;
    return r->exit_code;
  }
  // The vendor's images as a folder of PNG files: <class>/<n>.png.
  void WriteImageFolder(int64_t examples) {
    const std::string fmnist = "/usr/share/datasets/fashion-mnist/";
    auto d = data::ReadIdxDataset(fmnist + "train-images-idx3-ubyte.gz",
                                  fmnist + "train-labels-idx1-ubyte.gz", examples);
    ASSERT_TRUE(d.ok()) << d.status();
    for (int64_t i = 0; i < d->size(); ++i) {
      const std::string cls = dir_ + "/images/" + std::to_string(d->labels().data<int64_t>()[i]);
      fs::create_directories(cls);
      data::Image image{
          28, 28, 1,
          std::string(d->images().raw_data() + i * 784, d->images().raw_data() + (i + 1) * 784)};
      ASSERT_TRUE(data::WritePng(cls + "/" + std::to_string(i) + ".png", image).ok());
    }
  }
  int Deploy(int customers, std::string* out) {
    return Securemark("run " + kSource + "/pipelines/deploy-your-model.yaml --plain --jobs 2 " +
                          "--store " + dir_ + "/store --set model=" + dir_ + "/resnet.pt " +
                          "layer=layer2.0.conv2 format=image_folder data_dir=" + dir_ +
                          "/images channels=1 height=28 width=28 examples=3000 " +
                          "test_examples=600 embed_batches=30 customers=" +
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
  ASSERT_EQ(Python({script + "train_resnet.py", dir_ + "/resnet.pt", "3000", "4", "0"}), 0);
  ASSERT_EQ(Python({script + "train_resnet.py", dir_ + "/independent.pt", "3000", "4", "7"}), 0);
  WriteImageFolder(3000);
  std::string out;
  ASSERT_EQ(Deploy(8, &out), 0) << out;
  for (int c = 0; c < 8; ++c) ASSERT_TRUE(fs::exists(Copy(c))) << c;

  // PyTorch loads and runs every copy, and each classifies within a point of the original
  // on 2,000 test images it never saw.
  std::vector<std::string> accuracy_args = {script + "accuracy.py", "2000", dir_ + "/resnet.pt"};
  for (int c = 0; c < 8; ++c) accuracy_args.push_back(Copy(c));
  std::string accuracies;
  ASSERT_EQ(Python(accuracy_args, &accuracies), 0);
  std::istringstream lines(accuracies);
  double original = 0, copy = 0;
  ASSERT_TRUE(lines >> original) << accuracies;
  EXPECT_GT(original, 0.6) << accuracies;  // it learnt something worth protecting
  double mean = 0;
  for (int c = 0; c < 8; ++c) {
    ASSERT_TRUE(lines >> copy) << accuracies;
    EXPECT_GE(copy, original - 0.01) << "customer " << c << "\n" << accuracies;
    mean += copy / 8;
  }
  std::cout << "original accuracy " << original << ", copies' mean " << mean << "\n";

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
  for (int c = 0; c < 8; ++c) before.push_back(Sha256Hex(*ReadFile(Copy(c))));
  ASSERT_EQ(Deploy(9, &out), 0) << out;
  EXPECT_NE(out.find("2 completed, 20 cached"), std::string::npos) << out;
  for (int c = 0; c < 8; ++c) EXPECT_EQ(Sha256Hex(*ReadFile(Copy(c))), before[c]) << c;
  EXPECT_EQ(Accused(Trace(Copy(8))), std::vector<int64_t>{8});
}

}  // namespace
}  // namespace securemark
