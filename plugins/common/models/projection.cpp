#include "models/projection.h"

#include <cmath>

#include <torch/torch.h>

#include "models/model_zoo.h"

namespace securemark::models {

namespace {

// w of a layer's weight: the mean over its units, or Σ_j s_j W_j.
StatusOr<torch::Tensor> SignalOf(const torch::Tensor& weight, const torch::Tensor& unit_weights,
                                 const std::string& layer) {
  if (!unit_weights.defined()) return weight.mean(0).flatten();
  if (unit_weights.numel() != weight.size(0)) {
    return InvalidArgumentError("the key weighs " + std::to_string(unit_weights.numel()) +
                                " units but '" + layer + "' has " + std::to_string(weight.size(0)));
  }
  return torch::matmul(unit_weights.to(weight.dtype()).flatten(), weight.flatten(1));
}

}  // namespace

StatusOr<torch::Tensor> LayerSignal(torch::jit::Module& model, const std::string& layer,
                                    const torch::Tensor& unit_weights) {
  SM_ASSIGN_OR_RETURN(torch::Tensor weight, LayerWeight(model, layer));
  return SignalOf(weight, unit_weights, layer);
}

torch::Tensor UnitWeightsInOrder(const std::vector<int64_t>& order) {
  const int64_t units = static_cast<int64_t>(order.size()), half = units / 2;
  torch::Tensor s = torch::zeros({units});
  auto out = s.accessor<float, 1>();
  for (int64_t i = 0; i < 2 * half; ++i) out[order[i]] = (i < half ? 1.0f : -1.0f) / units;
  return s;
}

torch::Tensor MakeUnitWeights(int64_t units, uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const torch::Tensor perm = torch::randperm(units, generator);
  return UnitWeightsInOrder(
      std::vector<int64_t>(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + units));
}

StatusOr<double> LayerKeyScale(const torch::Tensor& weight, const torch::Tensor& unit_weights,
                               const std::string& layer) {
  torch::NoGradGuard no_grad;
  SM_ASSIGN_OR_RETURN(const torch::Tensor w,
                      SignalOf(weight.to(torch::kFloat64), unit_weights, layer));
  const double norm = w.norm().item<double>();
  if (!std::isfinite(norm) || norm <= 0) {
    return InvalidArgumentError("layer '" + layer + "' reads as zero (" + std::to_string(norm) +
                                "), so a key cannot be scaled to it; use key_scale=unit");
  }
  return 1.0 / norm;
}

torch::Tensor MakeProjectionKey(int64_t fingerprint_length, int64_t signal_length, uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  return torch::randn({fingerprint_length, signal_length}, generator);
}

Status CheckFingerprintFits(int64_t fingerprint_length, int64_t signal_length,
                            const std::string& layer) {
  if (fingerprint_length <= signal_length) return OkStatus();
  return InvalidArgumentError("a " + std::to_string(fingerprint_length) +
                              "-entry fingerprint does not fit layer '" + layer +
                              "', which carries " + std::to_string(signal_length) +
                              " values; choose a wider layer");
}

StatusOr<double> CorrectExactly(torch::jit::Module& model, const ProjectionKey& key,
                                const torch::Tensor& fingerprint, const std::string& layer) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x64 = key.x.to(torch::kFloat64);
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, LayerSignal(model, layer, key.unit_weights));
  const torch::Tensor residual =
      fingerprint.to(torch::kFloat64).flatten() - torch::matmul(x64, signal.to(torch::kFloat64));
  // Δ = Xᵀ (X Xᵀ)⁻¹ r: the least-norm Δ with X Δ = r (X has full row rank, v ≤ β).
  const torch::Tensor delta =
      torch::matmul(x64.t(), torch::linalg_solve(torch::matmul(x64, x64.t()), residual));
  SM_ASSIGN_OR_RETURN(torch::Tensor weight, LayerWeight(model, layer));
  const torch::Tensor change = delta.to(weight.dtype()).view(weight.sizes().slice(1));
  if (!key.unit_weights.defined()) {
    weight.add_(change);  // the same change to every unit moves the mean by Δ
    return delta.norm().item<double>();
  }
  // Unit j moves by s_j Δ / |s|², the least-norm change with Σ_j s_j ΔW_j = Δ.
  const torch::Tensor s = key.unit_weights.to(weight.dtype()).flatten();
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = s.numel();
  weight.add_(change.unsqueeze(0) * (s / s.dot(s)).view(shape));
  return delta.norm().item<double>();
}

StatusOr<EmbedReport> EmbedFingerprint(torch::jit::Module& model, const torch::Tensor& fingerprint,
                                       const ProjectionKey& key, const Dataset& data,
                                       const EmbedOptions& o) {
  // Only the batches used are converted: a short embedding touches a few of 60,000 images.
  const torch::Tensor x = ImageBytes(data.images());
  return EmbedFingerprint(
      model, fingerprint, key, x, LabelsToTensor(data.labels()),
      [&](const torch::Tensor& idx) {
        return model.forward({ToUnitRange(x.index_select(0, idx))}).toTensor();
      },
      o);
}

StatusOr<EmbedReport> EmbedFingerprint(torch::jit::Module& model, const torch::Tensor& fingerprint,
                                       const ProjectionKey& key, const torch::Tensor& x,
                                       const torch::Tensor& y, const BatchLogits& logits,
                                       const EmbedOptions& o) {
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, LayerSignal(model, o.layer, key.unit_weights));
  const int64_t beta = signal.numel(), v = fingerprint.numel();
  SM_RETURN_IF_ERROR(CheckFingerprintFits(v, beta, o.layer));
  if (key.x.dim() != 2 || key.x.size(0) != v || key.x.size(1) != beta) {
    return InvalidArgumentError(
        "the key is " + std::to_string(key.x.size(0)) + "x" + std::to_string(key.x.size(1)) +
        " but the fingerprint and layer need " + std::to_string(v) + "x" + std::to_string(beta));
  }
  torch::manual_seed(o.seed);
  MakeParametersTrainable(model);
  std::vector<torch::Tensor> params;
  for (const auto& layer : o.train_layers) SM_RETURN_IF_ERROR(LayerWeight(model, layer).status());
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    bool trains = o.train_layers.empty();
    for (const auto& layer : o.train_layers) {
      for (const char* suffix : {"_weight", "_bias", ".weight", ".bias"}) {
        trains |= p.name == layer + suffix;
      }
    }
    if (trains) params.push_back(p.value);
  }
  torch::optim::SGD optimizer(params, torch::optim::SGDOptions(o.learning_rate).momentum(0.9));
  SM_ASSIGN_OR_RETURN(FingerprintTerm term,
                      FingerprintTerm::Make(model, key, fingerprint, o.layer, o.mu));
  torch::Generator generator = at::detail::createCPUGenerator(o.seed);
  model.train();
  EmbedReport report;
  const int64_t batches_per_epoch = (x.size(0) + o.batch_size - 1) / o.batch_size;
  const int64_t planned = o.epochs * (o.max_batches > 0 ? std::min(o.max_batches, batches_per_epoch)
                                                        : batches_per_epoch);
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const torch::Tensor order = torch::randperm(x.size(0), generator);
    double task = 0;
    int64_t seen = 0;
    for (int64_t i = 0, batch = 0; i < x.size(0) && (o.max_batches == 0 || batch < o.max_batches);
         i += o.batch_size, ++batch) {
      const torch::Tensor idx = order.slice(0, i, std::min(i + o.batch_size, x.size(0)));
      optimizer.zero_grad();
      torch::Tensor loss = torch::cross_entropy_loss(logits(idx), y.index_select(0, idx));
      task += loss.item<double>() * idx.size(0);
      seen += idx.size(0);
      ++report.steps;
      if (o.on_step) o.on_step(report.steps, planned);
      loss = loss + term.Loss(model);
      if (!std::isfinite(loss.item<double>())) {
        return FailedPreconditionError(
            "embedding diverged at step " + std::to_string(report.steps) + " (loss " +
            std::to_string(loss.item<double>()) + "); lower mu or the learning rate");
      }
      loss.backward();
      optimizer.step();
    }
    report.task_loss = task / std::max<int64_t>(seen, 1);
  }
  model.eval();
  torch::NoGradGuard no_grad;
  report.fine_tuned_mse = term.Mse(model);
  if (o.exact) {
    SM_ASSIGN_OR_RETURN(report.correction_norm, term.Correct(model));
  }
  report.fingerprint_mse = term.Mse(model);
  return report;
}

StatusOr<FingerprintTerm> FingerprintTerm::Make(torch::jit::Module& model, ProjectionKey key,
                                                const torch::Tensor& fingerprint, std::string layer,
                                                double mu) {
  FingerprintTerm term;
  term.key_ = {key.x.to(torch::kFloat32), key.unit_weights};
  term.target_ = fingerprint.to(torch::kFloat32).flatten();
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, KeyedSignal(model, term.key_, layer));
  (void)signal;
  if (term.key_.x.size(0) != term.target_.numel())
    return InvalidArgumentError("the key projects onto " + std::to_string(term.key_.x.size(0)) +
                                " values but the fingerprint has " +
                                std::to_string(term.target_.numel()));
  term.layer_ = std::move(layer);
  term.mu_ = mu;
  term.key_energy_ = std::max(1e-30, term.key_.x.pow(2).mean().item<double>());
  return term;
}

torch::Tensor FingerprintTerm::Loss(torch::jit::Module& model) const {
  torch::Tensor w = *LayerSignal(model, layer_, key_.unit_weights);
  return mu_ / key_energy_ * torch::mse_loss(torch::matmul(key_.x, w), target_);
}

double FingerprintTerm::Mse(torch::jit::Module& model) const {
  torch::NoGradGuard no_grad;
  return torch::mse_loss(torch::matmul(key_.x, *LayerSignal(model, layer_, key_.unit_weights)),
                         target_)
      .item<double>();
}

StatusOr<double> FingerprintTerm::Correct(torch::jit::Module& model) const {
  return CorrectExactly(model, key_, target_, layer_);
}

StatusOr<torch::Tensor> KeyedSignal(torch::jit::Module& model, const ProjectionKey& key,
                                    const std::string& layer) {
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, LayerSignal(model, layer, key.unit_weights));
  if (key.x.dim() != 2 || key.x.size(1) != signal.numel()) {
    return InvalidArgumentError("the key expects a layer carrying " +
                                std::to_string(key.x.size(1)) + " values but '" + layer +
                                "' carries " + std::to_string(signal.numel()));
  }
  return signal;
}

StatusOr<torch::Tensor> ExtractFingerprint(torch::jit::Module& model, const ProjectionKey& key,
                                           const std::string& layer) {
  torch::NoGradGuard no_grad;
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, KeyedSignal(model, key, layer));
  return torch::matmul(key.x.to(torch::kFloat32), signal);
}

}  // namespace securemark::models
