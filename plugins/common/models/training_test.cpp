// Real training on Fashion-MNIST subsets with TorchScript models built in C++.
#include "models/training.h"

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

}  // namespace
}  // namespace securemark::models
