#include "attacks/attacks.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "data/partition.h"
#include "models/training.h"

namespace securemark::attacks {
namespace {

using Named = std::vector<std::pair<std::string, torch::Tensor>>;

Named Parameters(torch::jit::Module& m) {
  Named out;
  for (const auto& p : m.named_parameters(true)) out.emplace_back(p.name, p.value);
  return out;
}

Named Buffers(torch::jit::Module& m) {
  Named out;
  for (const auto& b : m.named_buffers(true)) out.emplace_back(b.name, b.value);
  return out;
}

// The magnitude below which a `rate` share of the values lies (-1: prune nothing).
double Threshold(const torch::Tensor& magnitudes, double rate) {
  const int64_t k = static_cast<int64_t>(std::floor(rate * magnitudes.numel()));
  if (k <= 0) return -1;
  return std::get<0>(magnitudes.kthvalue(k)).item<double>();
}

}  // namespace

Status Pool(std::vector<torch::jit::Module>& copies, const std::string& method, uint64_t seed) {
  if (copies.empty()) return InvalidArgumentError("no models to pool");
  if (method != "average" && method != "median" && method != "random") {
    return InvalidArgumentError("unknown pooling '" + method +
                                "'; expected average, median or random");
  }
  torch::NoGradGuard no_grad;
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  auto pool = [&](const std::vector<torch::Tensor>& values) -> torch::Tensor {
    torch::Tensor stacked = torch::stack(values);
    if (!stacked.is_floating_point()) return values[0];  // counters stay as they are
    if (method == "median") return std::get<0>(stacked.median(0));
    if (method == "random") {
      const torch::Tensor pick =
          torch::randint(0, static_cast<int64_t>(values.size()), values[0].sizes(), generator);
      return stacked.gather(0, pick.unsqueeze(0)).squeeze(0);
    }
    return stacked.mean(0);
  };
  for (auto named_of : {&Parameters, &Buffers}) {
    Named first = named_of(copies[0]);
    std::vector<std::vector<torch::Tensor>> columns(first.size());
    for (auto& copy : copies) {
      Named named = named_of(copy);
      if (named.size() != first.size()) {
        return InvalidArgumentError("the models have different architectures");
      }
      for (size_t i = 0; i < named.size(); ++i) {
        if (named[i].first != first[i].first ||
            !named[i].second.sizes().equals(first[i].second.sizes())) {
          return InvalidArgumentError("the models differ at '" + first[i].first + "'");
        }
        columns[i].push_back(named[i].second);
      }
    }
    for (size_t i = 0; i < first.size(); ++i) first[i].second.copy_(pool(columns[i]));
  }
  return OkStatus();
}

Dataset Fraction(const Dataset& data, double fraction, uint64_t seed) {
  const int64_t n = data.size(), keep = std::max<int64_t>(1, std::llround(n * fraction));
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  order.resize(std::min(keep, n));
  std::sort(order.begin(), order.end());
  return data::Subset(data, order);
}

StatusOr<int64_t> FineTune(torch::jit::Module& model, const Dataset& data,
                           const FineTuneOptions& options, std::function<void()> after_step,
                           std::function<void(int64_t)> on_epoch) {
  if (data.size() == 0) return InvalidArgumentError("the fine-tuning data is empty");
  const Dataset subset = Fraction(data, options.fraction, options.seed);
  models::TrainOptions o;
  o.epochs = options.epochs;
  o.batch_size = options.batch_size;
  o.learning_rate = options.learning_rate;
  o.seed = options.seed;
  o.threads = options.threads;
  o.after_step = std::move(after_step);
  models::MakeParametersTrainable(model);
  model.train();
  models::Train(model, subset, nullptr, o, [&](const models::EpochReport& e) {
    if (on_epoch) on_epoch(e.epoch);
    return true;
  });
  model.eval();
  return subset.size();
}

void Pruning::Reapply(torch::jit::Module& model) const {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (const auto& p : model.parameters())
    if (p.dim() >= 2 && i < masks.size()) p.mul_(masks[i++]);
}

StatusOr<Pruning> PruneByMagnitude(torch::jit::Module& model, double rate, bool global) {
  if (!(rate >= 0 && rate <= 1)) return InvalidArgumentError("the pruning rate must lie in [0, 1]");
  std::vector<torch::Tensor> weights;
  for (const auto& p : model.parameters())
    if (p.dim() >= 2) weights.push_back(p);
  if (weights.empty()) return InvalidArgumentError("the model has no weights to prune");
  torch::NoGradGuard no_grad;
  double global_threshold = -1;
  if (global) {
    std::vector<torch::Tensor> all;
    for (const auto& w : weights) all.push_back(w.abs().flatten());
    global_threshold = Threshold(torch::cat(all), rate);
  }
  Pruning pruning;
  for (auto& w : weights) {
    const double t = global ? global_threshold : Threshold(w.abs().flatten(), rate);
    pruning.masks.push_back((w.abs() > t).to(w.dtype()));
    w.mul_(pruning.masks.back());
    pruning.total += w.numel();
    pruning.zeroed += w.numel() - pruning.masks.back().sum().item<int64_t>();
  }
  return pruning;
}

bool NeedsData(const AttackSpec& spec) {
  return spec.finetune.epochs > 0 && spec.finetune.fraction > 0 &&
         (spec.kind == "finetune" || spec.kind == "prune");
}

StatusOr<AttackOutcome> Apply(torch::jit::Module& model, const AttackSpec& spec,
                              const Dataset* data, std::function<void(int64_t)> on_epoch) {
  AttackOutcome outcome;
  if (NeedsData(spec) && data == nullptr)
    return InvalidArgumentError("attack '" + spec.kind + "' fine-tunes and needs data");
  if (spec.kind == "none") return outcome;
  if (spec.kind == "finetune") {
    SM_ASSIGN_OR_RETURN(outcome.examples,
                        FineTune(model, *data, spec.finetune, {}, std::move(on_epoch)));
    return outcome;
  }
  if (spec.kind == "prune") {
    SM_ASSIGN_OR_RETURN(Pruning p, PruneByMagnitude(model, spec.prune_rate, spec.prune_global));
    outcome.zeroed = p.zeroed;
    outcome.prunable = p.total;
    if (NeedsData(spec)) {
      // The masks hold the pruned weights at zero through fine-tuning.
      SM_ASSIGN_OR_RETURN(outcome.examples, FineTune(
                                                model, *data, spec.finetune,
                                                [&] { p.Reapply(model); }, std::move(on_epoch)));
    }
    return outcome;
  }
  if (spec.kind == "reparam") {
    SM_RETURN_IF_ERROR(models::Reparameterise(model, spec.reparam));
    return outcome;
  }
  if (spec.kind == "weight_shift") {
    SM_RETURN_IF_ERROR(models::ShiftWeights(model, spec.shift_layer, spec.shift_alpha));
    return outcome;
  }
  return InvalidArgumentError("unknown attack '" + spec.kind + "'; expected one of " +
                              std::string(kAttackKinds));
}

}  // namespace securemark::attacks
