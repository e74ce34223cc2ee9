// Real training on Fashion-MNIST subsets with TorchScript models built in C++.
#include "models/training.h"
#include "models/early_stopping.h"

#include <filesystem>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/idx_reader.h"
#include "models/model_zoo.h"

namespace securemark::models {
namespace {

const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

Dataset Load(const std::string& split, int64_t limit) {
  return *data::ReadIdxDataset(kFmnist + "/" + split + "-images-idx3-ubyte.gz",
                               kFmnist + "/" + split + "-labels-idx1-ubyte.gz", limit);
}

TEST(TrainingTest, LearnsFashionMnistDeterministicallyAndSurvivesSaveAndLoad) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset train = Load("train", 3000), test = Load("t10k", 1000);
  TrainOptions o;
  o.epochs = 2;
  o.seed = 5;
  auto run = [&] {
    torch::jit::Module m = *BuildModel("fc900", 1, 28, 28, 10, 5);
    auto reports = Train(m, train, &test, o);
    return std::make_pair(m, reports);
  };
  auto [model, reports] = run();
  ASSERT_EQ(reports.size(), 2u);
  for (const auto& r : reports) {
    std::cout << "epoch " << r.epoch << ": loss " << r.loss << ", train " << r.train_accuracy
              << ", test " << r.test_accuracy << "\n";
  }
  // A small MLP on 3,000 images reaches well above chance (10%) in two epochs.
  EXPECT_GT(reports.back().test_accuracy, 0.65) << "loss " << reports.back().loss;
  auto [again, reports_again] = run();
  EXPECT_EQ(reports_again.back().test_accuracy, reports.back().test_accuracy);
  std::stringstream saved;
  model.save(saved);
  torch::jit::Module loaded = torch::jit::load(saved);
  const torch::Tensor x = ImagesToTensor(test.images());
  EXPECT_EQ(Accuracy(loaded, x, LabelsToTensor(test.labels())), reports.back().test_accuracy);
}

TEST(AugmentTest, FlipsMirrorAndCropsShiftWithinThePadding) {
  const torch::Tensor batch = torch::rand({32, 3, 8, 8});
  torch::Generator generator = at::detail::createCPUGenerator(1);
  TrainOptions o;
  EXPECT_TRUE(torch::equal(Augment(batch, o, generator), batch));
  o.flip = true;
  const torch::Tensor flipped = Augment(batch, o, generator);
  int64_t mirrored = 0;
  for (int64_t i = 0; i < 32; ++i) {
    const bool same = torch::equal(flipped[i], batch[i]);
    const bool mirror = torch::equal(flipped[i], batch[i].flip({2}));
    EXPECT_TRUE(same || mirror) << i;
    mirrored += mirror;
  }
  EXPECT_GT(mirrored, 4);
  EXPECT_LT(mirrored, 28);
  o.flip = false;
  o.crop_padding = 2;
  const torch::Tensor cropped = Augment(batch, o, generator);
  ASSERT_EQ(cropped.sizes(), batch.sizes());
  const torch::Tensor padded = torch::constant_pad_nd(batch, {2, 2, 2, 2});
  int64_t shifted = 0;
  for (int64_t i = 0; i < 32; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 4 && !found; ++dy) {
      for (int64_t dx = 0; dx <= 4 && !found; ++dx) {
        found = torch::equal(cropped[i], padded[i].slice(1, dy, dy + 8).slice(2, dx, dx + 8));
        shifted += found && (dy != 2 || dx != 2);
      }
    }
    EXPECT_TRUE(found) << i;
  }
  EXPECT_GT(shifted, 16);
}

TEST(NormalisationTest, ChannelStatisticsArePerChannel) {
  Tensor images(DType::kUInt8, {2, 2, 1, 2});  // two 2-channel 1x2 images
  uint8_t* p = images.mutable_data<uint8_t>();
  const uint8_t values[] = {0, 255, 51, 51, 255, 0, 51, 51};
  std::copy(values, values + 8, p);
  auto [mean, std] = ChannelStatistics(images);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_NEAR(mean[0], 0.5, 1e-6);
  EXPECT_NEAR(std[0], 0.5, 1e-6);
  EXPECT_NEAR(mean[1], 0.2, 1e-6);  // float32 pixels
  EXPECT_NEAR(std[1], 1e-6, 1e-9);  // constant channel: clamped, never zero
}

TEST(EarlyStoppingTest, KeepsTheBestEpochAndStopsAfterThePatience) {
  EarlyStopping stop(2);
  EXPECT_TRUE(stop.Record(1, 0.10));
  EXPECT_TRUE(stop.Record(2, 0.30));
  EXPECT_FALSE(stop.Record(3, 0.30));  // equal is not better
  EXPECT_FALSE(stop.ShouldStop());
  EXPECT_FALSE(stop.Record(4, 0.20));
  EXPECT_TRUE(stop.ShouldStop());  // two epochs without a better score
  EXPECT_EQ(stop.best_epoch(), 2);
  EXPECT_DOUBLE_EQ(stop.best(), 0.30);
  // A negative first score is still a best; patience 0 never stops.
  EarlyStopping never(0);
  EXPECT_TRUE(never.Record(1, -0.5));
  for (int64_t epoch = 2; epoch < 50; ++epoch) EXPECT_FALSE(never.Record(epoch, -0.9));
  EXPECT_FALSE(never.ShouldStop());
  EXPECT_EQ(never.best_epoch(), 1);
}

}  // namespace
}  // namespace securemark::models
