#include "models/training.h"

#include <torch/torch.h>

namespace securemark::models {

torch::Tensor ImagesToTensor(const Tensor& images, double mean, double std) {
  std::vector<int64_t> shape = images.shape();
  if (shape.size() == 3) shape.insert(shape.begin() + 1, 1);  // [N, H, W] -> [N, 1, H, W]
  torch::Tensor t = torch::from_blob(const_cast<char*>(images.raw_data()), shape, torch::kUInt8)
                        .to(torch::kFloat32);
  return (t / 255.0 - mean) / std;
}

torch::Tensor LabelsToTensor(const Tensor& labels) {
  return torch::from_blob(const_cast<char*>(labels.raw_data()), {labels.numel()}, torch::kInt64)
      .clone();
}

void MakeParametersTrainable(torch::jit::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> fixes;
  for (const auto& p : model.named_parameters(/*recurse=*/false)) {
    if (!p.value.is_leaf() || !p.value.requires_grad()) fixes.emplace_back(p.name, p.value);
  }
  for (auto& [name, value] : fixes)
    model.setattr(name, value.detach().clone().set_requires_grad(true));
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
  if (o.threads > 0) torch::set_num_threads(static_cast<int>(o.threads));
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
    const torch::Tensor order = torch::randperm(x.size(0), generator);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t i = 0; i < x.size(0); i += o.batch_size) {
      const torch::Tensor idx = order.slice(0, i, std::min(i + o.batch_size, x.size(0)));
      const torch::Tensor bx = x.index_select(0, idx), by = y.index_select(0, idx);
      optimizer->zero_grad();
      torch::Tensor logits = model.forward({bx}).toTensor();
      torch::Tensor loss = torch::cross_entropy_loss(logits, by);
      loss.backward();
      optimizer->step();
      loss_sum += loss.item<double>() * idx.size(0);
      correct += logits.argmax(1).eq(by).sum().item<int64_t>();
    }
    EpochReport r;
    r.epoch = epoch;
    r.loss = loss_sum / x.size(0);
    r.train_accuracy = static_cast<double>(correct) / x.size(0);
    if (test != nullptr) r.test_accuracy = Accuracy(model, tx, ty);
    reports.push_back(r);
    if (on_epoch && !on_epoch(r)) break;
  }
  model.eval();
  return reports;
}

}  // namespace securemark::models
