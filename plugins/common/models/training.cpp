#include "models/training.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include <torch/torch.h>

namespace securemark::models {

torch::Tensor ImageBytes(const Tensor& images) {
  std::vector<int64_t> shape = images.shape();
  if (shape.size() == 3) shape.insert(shape.begin() + 1, 1);  // [N, H, W] -> [N, 1, H, W]
  return torch::from_blob(const_cast<char*>(images.raw_data()), shape, torch::kUInt8);
}

torch::Tensor ToUnitRange(const torch::Tensor& bytes) { return bytes.to(torch::kFloat32) / 255.0; }

torch::Tensor ImagesToTensor(const Tensor& images) { return ToUnitRange(ImageBytes(images)); }

std::pair<std::vector<double>, std::vector<double>> ChannelStatistics(const Tensor& images) {
  const torch::Tensor x = ImagesToTensor(images).transpose(0, 1).flatten(1).to(torch::kFloat64);
  const torch::Tensor mean = x.mean(1), std = x.std(1, /*unbiased=*/false).clamp_min(1e-6);
  return {std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel()),
          std::vector<double>(std.data_ptr<double>(), std.data_ptr<double>() + std.numel())};
}

torch::Tensor Augment(const torch::Tensor& batch, const TrainOptions& o,
                      torch::Generator& generator) {
  torch::Tensor x = batch;
  if (o.flip) {
    const torch::Tensor flip = torch::rand({x.size(0), 1, 1, 1}, generator) < 0.5;
    x = torch::where(flip, x.flip({3}), x);
  }
  if (o.crop_padding > 0) {
    const int64_t p = o.crop_padding, h = x.size(2), w = x.size(3);
    const torch::Tensor padded = torch::constant_pad_nd(x, {p, p, p, p});
    const torch::Tensor offsets = torch::randint(0, 2 * p + 1, {x.size(0), 2}, generator);
    std::vector<torch::Tensor> crops;
    for (int64_t i = 0; i < x.size(0); ++i) {
      const int64_t dy = offsets[i][0].item<int64_t>(), dx = offsets[i][1].item<int64_t>();
      crops.push_back(padded[i].slice(1, dy, dy + h).slice(2, dx, dx + w));
    }
    x = torch::stack(crops);
  }
  return x;
}

torch::Tensor LabelsToTensor(const Tensor& labels) {
  return torch::from_blob(const_cast<char*>(labels.raw_data()), {labels.numel()}, torch::kInt64)
      .clone();
}

void UseThreads(int64_t requested) {
  int64_t threads = requested;
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    threads = env != nullptr ? std::atoll(env) : 0;
  }
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  torch::set_num_threads(static_cast<int>(threads));
}

void MakeParametersTrainable(torch::jit::Module& model) {
  for (const auto& sub : model.modules()) {
    torch::jit::Module module = sub;  // shares the object
    std::vector<std::pair<std::string, torch::Tensor>> fixes;
    for (const auto& p : module.named_parameters(/*recurse=*/false)) {
      if (!p.value.is_leaf() || !p.value.requires_grad()) fixes.emplace_back(p.name, p.value);
    }
    for (auto& [name, value] : fixes)
      module.setattr(name, value.detach().clone().set_requires_grad(true));
  }
}

double Accuracy(torch::jit::Module& model, const torch::Tensor& x, const torch::Tensor& y,
                int64_t batch) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  for (int64_t i = 0; i < x.size(0); i += batch) {
    const int64_t end = std::min(i + batch, x.size(0));
    torch::Tensor logits = model.forward({x.slice(0, i, end)}).toTensor();
    correct += logits.argmax(1).eq(y.slice(0, i, end)).sum().item<int64_t>();
  }
  return x.size(0) ? static_cast<double>(correct) / x.size(0) : 0.0;
}

std::vector<EpochReport> Train(torch::jit::Module& model, const Dataset& train, const Dataset* test,
                               const TrainOptions& o,
                               const std::function<bool(const EpochReport&)>& on_epoch) {
  UseThreads(o.threads);
  torch::manual_seed(o.seed);
  const torch::Tensor x = ImagesToTensor(train.images());
  const torch::Tensor y = LabelsToTensor(train.labels());
  torch::Tensor tx, ty;
  if (test != nullptr) {
    tx = ImagesToTensor(test->images());
    ty = LabelsToTensor(test->labels());
  }
  MakeParametersTrainable(model);
  std::vector<torch::Tensor> params;
  for (auto p : model.parameters()) params.push_back(p);
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (o.optimizer == "adam") {
    optimizer =
        std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.learning_rate));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum));
  }
  model.train();
  std::vector<EpochReport> reports;
  torch::Generator generator = at::detail::createCPUGenerator(o.seed);
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    if (o.lr_step > 0 && epoch > 1 && (epoch - 1) % o.lr_step == 0) {
      for (auto& group : optimizer->param_groups()) {
        group.options().set_lr(group.options().get_lr() * o.lr_gamma);
      }
    }
    const auto started = std::chrono::steady_clock::now();
    const torch::Tensor order = torch::randperm(x.size(0), generator);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t i = 0; i < x.size(0); i += o.batch_size) {
      const torch::Tensor idx = order.slice(0, i, std::min(i + o.batch_size, x.size(0)));
      const torch::Tensor bx = Augment(x.index_select(0, idx), o, generator);
      const torch::Tensor by = y.index_select(0, idx);
      optimizer->zero_grad();
      torch::Tensor logits = model.forward({bx}).toTensor();
      torch::Tensor loss = torch::cross_entropy_loss(logits, by);
      loss.backward();
      optimizer->step();
      if (o.after_step) o.after_step();
      loss_sum += loss.item<double>() * idx.size(0);
      correct += logits.argmax(1).eq(by).sum().item<int64_t>();
    }
    EpochReport r;
    r.epoch = epoch;
    r.loss = loss_sum / x.size(0);
    r.train_accuracy = static_cast<double>(correct) / x.size(0);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (test != nullptr) r.test_accuracy = Accuracy(model, tx, ty);
    reports.push_back(r);
    if (on_epoch && !on_epoch(r)) break;
  }
  model.eval();
  return reports;
}

}  // namespace securemark::models
