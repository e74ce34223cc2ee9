// Embedding (31,6,1) fingerprints into real Fashion-MNIST models, extracting them, and
// tracing the customers behind an averaged model.
#include "models/projection.h"

#include <filesystem>
#include <iostream>

#include <gtest/gtest.h>

#include <torch/torch.h>
#include "models/layer_chain.h"

#include "codes/detectors.h"
#include "codes/keys.h"
#include "data/idx_reader.h"
#include "models/layer_chain.h"
#include "models/model_zoo.h"

namespace securemark::models {
namespace {

const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

Dataset Load(const std::string& split, int64_t limit) {
  return *data::ReadIdxDataset(kFmnist + "/" + split + "-images-idx3-ubyte.gz",
                               kFmnist + "/" + split + "-labels-idx1-ubyte.gz", limit);
}

// 64 synthetic 8x8 images (pixel i is (i * stride) mod 256) with labels 0..9 in turn.
Dataset TinyPatterns(int64_t stride) {
  Dataset tiny;
  Tensor images(DType::kUInt8, {64, 8, 8});
  for (int64_t i = 0; i < images.numel(); ++i)
    images.mutable_data<uint8_t>()[i] = static_cast<uint8_t>((i * stride) % 256);
  Tensor labels(DType::kInt64, {64});
  for (int64_t i = 0; i < 64; ++i) labels.mutable_data<int64_t>()[i] = i % 10;
  tiny.Put("images", images);
  tiny.Put("labels", labels);
  return tiny;
}

torch::Tensor FingerprintOf(const codes::Codebook& c, const Eigen::MatrixXd& u, int64_t user) {
  Eigen::VectorXd f = codes::FingerprintVector(c, u, user);
  return torch::from_blob(f.data(), {f.size()}, torch::kFloat64).clone().to(torch::kFloat32);
}

std::vector<int64_t> Trace(torch::jit::Module& m, const torch::Tensor& key,
                           const codes::Codebook& c, const Eigen::MatrixXd& u) {
  torch::Tensor f = ExtractFingerprint(m, key, "fc2")->to(torch::kFloat64).contiguous();
  Eigen::VectorXd fe = Eigen::Map<Eigen::VectorXd>(f.data_ptr<double>(), f.numel());
  Eigen::VectorXd b = u.transpose() * fe;
  return codes::HardThreshold(c, std::vector<double>(b.data(), b.data() + b.size())).Users();
}

TEST(ProjectionTest, EmbeddedFingerprintsAreExtractedAndAveragedCopiesTraced) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset train = Load("train", 2000), test = Load("t10k", 1000);
  torch::jit::Module base = *BuildModel("fc900", 1, 28, 28, 10, 3);
  TrainOptions to;
  to.seed = 3;
  Train(base, train, &test, to);
  const double base_accuracy =
      Accuracy(base, ImagesToTensor(test.images()), LabelsToTensor(test.labels()));

  codes::Codebook c = codes::Codebook::AndAcc(*codes::SingerDifferenceSet(5));
  Eigen::MatrixXd u = codes::OrthonormalBasis(31, 31, 7);
  torch::Tensor key = MakeProjectionKey(31, 900, 11);
  EmbedOptions eo;
  eo.layer = "fc2";
  eo.seed = 1;
  // w averages fc2's 900 output rows, which divides the fingerprint term's gradient on
  // each weight by 900: μ must be large for the term to matter.
  eo.mu = 100;
  eo.epochs = 2;
  std::vector<torch::jit::Module> copies;
  for (int64_t customer : {4, 20}) {
    torch::jit::Module copy = base.clone();
    auto report = EmbedFingerprint(copy, FingerprintOf(c, u, customer), key, train, eo);
    ASSERT_TRUE(report.ok()) << report.status();
    std::cout << "customer " << customer << ": fingerprint MSE " << report->fingerprint_mse
              << ", accuracy "
              << Accuracy(copy, ImagesToTensor(test.images()), LabelsToTensor(test.labels()))
              << " (base " << base_accuracy << ")\n";
    EXPECT_EQ(Trace(copy, key, c, u), std::vector<int64_t>{customer});
    copies.push_back(copy);
  }
  // Two customers average their models parameter by parameter.
  torch::jit::Module averaged = base.clone();
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> a, b, out;
    for (const auto& p : copies[0].parameters()) a.push_back(p);
    for (const auto& p : copies[1].parameters()) b.push_back(p);
    for (const auto& p : averaged.parameters()) out.push_back(p);
    for (size_t i = 0; i < out.size(); ++i) out[i].copy_((a[i] + b[i]) / 2);
  }
  EXPECT_EQ(Trace(averaged, key, c, u), (std::vector<int64_t>{4, 20}));
}

TEST(ProjectionTest, AFingerprintLongerThanTheLayerIsRefused) {
  torch::jit::Module m = *BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);
  Dataset tiny;
  tiny.Put("images", Tensor(DType::kUInt8, {2, 28, 28}));
  tiny.Put("labels", Tensor(DType::kInt64, {2}));
  EmbedOptions eo;
  eo.layer = "conv1";  // 1 input channel × 3 × 3 = 9 values
  auto r = EmbedFingerprint(m, torch::zeros({31}), MakeProjectionKey(31, 9, 0), tiny, eo);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(
      r.status().message().find("31-entry fingerprint does not fit layer 'conv1', which carries 9"),
      std::string::npos)
      << r.status();
  EXPECT_EQ(LayerSignal(m, "conv9").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(ExtractFingerprint(m, MakeProjectionKey(31, 100, 0), "conv2").ok());
}

TEST(ProjectionTest, TheExactCorrectionHitsTheFingerprintAndDivergenceIsReported) {
  torch::jit::Module m = *BuildModel("fc900", 1, 8, 8, 10, 0);
  const Dataset tiny = TinyPatterns(37);
  const torch::Tensor key = MakeProjectionKey(31, 900, 3);
  const torch::Tensor target = torch::randn({31});
  EmbedOptions eo;
  eo.layer = "fc2";
  eo.epochs = 1;
  torch::jit::Module corrected = m.clone();
  auto r = EmbedFingerprint(corrected, target, key, tiny, eo);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->fine_tuned_mse, 1e-6);  // one step of fine-tuning is far from enough
  EXPECT_LT(r->fingerprint_mse, 1e-8);
  EXPECT_GT(r->correction_norm, 0);
  EXPECT_TRUE(torch::allclose(*ExtractFingerprint(corrected, key, "fc2"), target, 1e-3, 1e-3));

  eo.mu = 1e9;
  eo.learning_rate = 5;
  eo.batch_size = 8;  // several steps, so that the blow-up shows in a loss
  torch::jit::Module diverging = m.clone();
  auto d = EmbedFingerprint(diverging, target, key, tiny, eo);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("diverged"), std::string::npos) << d.status();
}

// With secret zero-sum unit weights, subtracting any vector common to every unit of the
// layer (the weight-shift attack) leaves the extraction exactly where it was; averaging
// the units, as DeepMarks does, loses the whole fingerprint to it.
TEST(ProjectionTest, SecretUnitWeightsSurviveWeightShift) {
  torch::jit::Module m = *BuildModel("fc900", 1, 8, 8, 10, 0);
  const Dataset tiny = TinyPatterns(11);
  const torch::Tensor s = MakeUnitWeights(900, 4);
  EXPECT_NEAR(s.sum().item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(s.abs().sum().item<double>(), 1.0, 1e-5);
  const torch::Tensor target = torch::randn({31});
  EmbedOptions eo;
  eo.layer = "fc3";
  for (bool secret : {true, false}) {
    const ProjectionKey key(MakeProjectionKey(31, 900, 3), secret ? s : torch::Tensor());
    torch::jit::Module copy = m.clone();
    auto r = EmbedFingerprint(copy, target, key, tiny, eo);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(torch::allclose(*ExtractFingerprint(copy, key, "fc3"), target, 1e-3, 1e-3));
    ASSERT_TRUE(ShiftWeights(copy, "fc3", 1.0).ok());
    const torch::Tensor after = *ExtractFingerprint(copy, key, "fc3");
    if (secret) {
      EXPECT_TRUE(torch::allclose(after, target, 1e-3, 1e-3));
    } else {
      EXPECT_LT(after.abs().max().item<double>(), 1e-3);
    }
  }
  EXPECT_FALSE(LayerSignal(m, "fc3", torch::ones({7})).ok());  // one weight per unit
}

// A key scaled to the layer reads the unmarked layer at the fingerprint's scale, embeds
// exactly, and moves the layer's weights far less than DeepMarks' N(0, 1) key, whose
// target asks w for a norm of about 1 whatever the layer's size.
TEST(ProjectionTest, AKeyScaledToTheLayerMarksItWithASmallerChange) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torch::jit::Module m = *BuildModel("deepmarks_cnn", 1, 28, 28, 10, 5);
  const Dataset tiny = Load("t10k", 64);
  const torch::Tensor weight = *LayerWeight(m, "conv2");
  const torch::Tensor s = MakeUnitWeights(weight.size(0), 2);
  const torch::Tensor unit = MakeProjectionKey(31, weight[0].numel(), 9);
  const double scale = *LayerKeyScale(weight, s, "conv2");
  EXPECT_GT(scale, 1.5);  // a conv kernel's signal is far below norm 1
  const ProjectionKey scaled(unit * scale, s);
  const torch::Tensor reading = *ExtractFingerprint(m, scaled, "conv2");
  EXPECT_NEAR(reading.pow(2).mean().item<double>(), 1.0, 0.5);

  const torch::Tensor target = torch::randn({31});
  EmbedOptions eo;
  eo.layer = "conv2";
  eo.train_layers = {"conv2"};
  std::vector<double> moved;
  for (const ProjectionKey& key : {ProjectionKey(unit, s), scaled}) {
    torch::jit::Module copy = m.clone();
    auto r = EmbedFingerprint(copy, target, key, tiny, eo);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(torch::allclose(*ExtractFingerprint(copy, key, "conv2"), target, 1e-3, 1e-3));
    moved.push_back(((*LayerWeight(copy, "conv2") - weight).norm() / weight.norm()).item<double>());
  }
  std::cout << "conv2 moved by " << moved[0] << " (unit key), " << moved[1] << " (scaled)\n";
  EXPECT_LT(moved[1], moved[0] / 2);

  EXPECT_EQ(LayerKeyScale(torch::zeros_like(weight), s, "conv2").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace securemark::models
