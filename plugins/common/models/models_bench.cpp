// Costs of the model operations: a training step (beside the same loop in PyTorch), a
// fingerprint-embedding step, and extraction from a model in memory and from its file.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "models/model_zoo.h"
#include "models/projection.h"
#include "models/training.h"
#include "util/process.h"

namespace securemark::models {
namespace {

constexpr int kThreads = 2;

struct Step {
  explicit Step(const std::string& name)
      : model(*BuildModel(name, 1, 28, 28, 10, 0)),
        x(torch::rand({64, 1, 28, 28})),
        y(torch::randint(0, 10, {64})) {
    MakeParametersTrainable(model);
    std::vector<torch::Tensor> params;
    for (const auto& p : model.parameters()) params.push_back(p);
    optimizer =
        std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(0.01).momentum(0.9));
  }
  void Run(const torch::Tensor* key = nullptr, const torch::Tensor* target = nullptr) {
    optimizer->zero_grad();
    torch::Tensor loss = torch::cross_entropy_loss(model.forward({x}).toTensor(), y);
    if (key != nullptr) {
      loss =
          loss + 100 * torch::mse_loss(torch::matmul(*key, *LayerSignal(model, "conv2")), *target);
    }
    loss.backward();
    optimizer->step();
  }
  torch::jit::Module model;
  torch::Tensor x, y;
  std::unique_ptr<torch::optim::SGD> optimizer;
};

void BM_TrainStep(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(kThreads);
  Step step(name);
  for (int i = 0; i < 3; ++i) step.Run();  // TorchScript profiles the first runs
  for (auto _ : state) step.Run();
}
BENCHMARK_CAPTURE(BM_TrainStep, deepmarks_cnn, std::string("deepmarks_cnn"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TrainStep, fc900, std::string("fc900"))->Unit(benchmark::kMillisecond);

void BM_EmbedStep(benchmark::State& state) {
  torch::set_num_threads(kThreads);
  Step step("deepmarks_cnn");
  const torch::Tensor key = MakeProjectionKey(31, 288, 1), target = torch::randn({31});
  for (int i = 0; i < 3; ++i) step.Run(&key, &target);
  for (auto _ : state) step.Run(&key, &target);
}
BENCHMARK(BM_EmbedStep)->Unit(benchmark::kMillisecond);

void BM_Extract(benchmark::State& state) {
  torch::jit::Module model = *BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);
  const torch::Tensor key = MakeProjectionKey(31, 288, 1);
  for (auto _ : state) benchmark::DoNotOptimize(*ExtractFingerprint(model, key, "conv2"));
}
BENCHMARK(BM_Extract)->Unit(benchmark::kMicrosecond);

void BM_ExtractFromFile(benchmark::State& state) {
  const std::string file = SaveModel(*BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0));
  const torch::Tensor key = MakeProjectionKey(31, 288, 1);
  for (auto _ : state) {
    torch::jit::Module model = *LoadModel(file);
    benchmark::DoNotOptimize(*ExtractFingerprint(model, key, "conv2"));
  }
  state.counters["file_MB"] = file.size() / 1e6;
}
BENCHMARK(BM_ExtractFromFile)->Unit(benchmark::kMillisecond);

double CppMsPerStep(const std::string& name, int steps) {
  torch::set_num_threads(kThreads);
  Step step(name);
  for (int i = 0; i < 3; ++i) step.Run();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step.Run();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count() /
         steps;
}

// The same loop in PyTorch (Debian python3-torch, the same LibTorch 1.13 underneath).
void SideBySide() {
  std::printf("\nside by side, ms per training step (batch 64, %d threads):\n", kThreads);
  std::printf("%-14s %10s %14s %8s\n", "model", "LibTorch", "python3-torch", "ratio");
  for (const std::string name : {"deepmarks_cnn", "fc900"}) {
    const int steps = name == "fc900" ? 200 : 40;
    const double cpp = CppMsPerStep(name, steps);
    auto py = RunProcess(
        {"/usr/bin/python3",
         std::string(SECUREMARK_SOURCE_DIR) + "/plugins/common/models/train_loop_reference.py",
         name, std::to_string(kThreads), std::to_string(steps)},
        true);
    if (!py.ok() || py->exit_code != 0) {
      std::printf("%-14s %10.2f %14s\n", name.c_str(), cpp, "(python3-torch unavailable)");
      continue;
    }
    const double python = std::stod(py->output);
    std::printf("%-14s %10.2f %14.2f %8.2f\n", name.c_str(), cpp, python, cpp / python);
  }
}

}  // namespace
}  // namespace securemark::models

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  securemark::models::SideBySide();
  return 0;
}
