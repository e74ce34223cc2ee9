// Training a TorchScript model on a Dataset: mini-batch SGD or Adam, a step learning-rate
// schedule, accuracy after each epoch; deterministic for a seed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/script.h>

#include "securemark/values.h"

namespace securemark::models {

struct TrainOptions {
  int64_t epochs = 1;
  int64_t batch_size = 64;
  double learning_rate = 0.05;
  double momentum = 0.9;
  std::string optimizer = "sgd";  // or "adam"
  int64_t lr_step = 0;            // multiply the rate by lr_gamma every lr_step epochs (0: never)
  double lr_gamma = 0.1;
  uint64_t seed = 0;
  int64_t threads = 0;  // 0: LibTorch's default
  // Augmentation, applied per example to each batch: random horizontal flips and random
  // crops of the image padded by crop_padding pixels on each side.
  bool flip = false;
  int64_t crop_padding = 0;
  // Called after every optimiser step (e.g. to keep pruned weights at zero).
  std::function<void()> after_step;
};

struct EpochReport {
  int64_t epoch = 0;
  double loss = 0;
  double train_accuracy = 0;
  double test_accuracy = -1;  // -1 without a test set
  double seconds = 0;         // spent training (not evaluating) in this epoch
};

// Images become float [N, C, H, W] scaled to [0, 1]; models normalise them themselves.
torch::Tensor ImagesToTensor(const Tensor& images);
// The same images as uint8 [N, C, H, W] without a copy (valid while `images` lives), for
// callers that touch only a few batches; ToUnitRange converts a batch of them.
torch::Tensor ImageBytes(const Tensor& images);
torch::Tensor ToUnitRange(const torch::Tensor& bytes);
// Per-channel mean and standard deviation of images scaled to [0, 1].
std::pair<std::vector<double>, std::vector<double>> ChannelStatistics(const Tensor& images);
// The batch with the options' augmentation applied (unchanged without any).
torch::Tensor Augment(const torch::Tensor& batch, const TrainOptions& options,
                      torch::Generator& generator);
torch::Tensor LabelsToTensor(const Tensor& labels);

// Sets LibTorch's intra-op threads: `requested`, or else OMP_NUM_THREADS (the orchestrator
// shares the cores among its hosts), or else every core.
void UseThreads(int64_t requested);

// Makes every parameter a leaf tensor that requires grad (a cloned or loaded module's
// parameters may be neither), so that optimisers accept them.
void MakeParametersTrainable(torch::jit::Module& model);

double Accuracy(torch::jit::Module& model, const torch::Tensor& x, const torch::Tensor& y,
                int64_t batch = 512);

// Trains in place; `on_epoch` is told each epoch's figures (and may stop training by
// returning false).
std::vector<EpochReport> Train(torch::jit::Module& model, const Dataset& train, const Dataset* test,
                               const TrainOptions& options,
                               const std::function<bool(const EpochReport&)>& on_epoch = {});

}  // namespace securemark::models
