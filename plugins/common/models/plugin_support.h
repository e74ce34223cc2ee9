// What the model plugins share: reading a model input, and moving keys and fingerprints
// between Eigen (where the codes live) and LibTorch.
#pragma once

#include <string>

#include <torch/script.h>
#include <Eigen/Dense>

#include "codes/keys.h"
#include "codes/secret_random.h"
#include "domain/domain_values.h"
#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/projection.h"
#include "securemark/node.h"

namespace securemark::models {

inline StatusOr<torch::jit::Module> GetModel(Context& ctx, const Input<ModelFile>& port) {
  SM_ASSIGN_OR_RETURN(ModelFile file, ctx.Get(port));
  StatusOr<torch::jit::Module> model = LoadModel(file.bytes());
  if (!model.ok()) return model.status().WithContext("input '" + std::string(port.name) + "'");
  return model;
}

// float32 copy of an Eigen matrix or vector (Eigen is column-major, torch row-major).
inline torch::Tensor ToTorch(const Eigen::MatrixXd& m) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
  torch::Tensor t = torch::from_blob(rows.data(), {m.rows(), m.cols()}, torch::kFloat64).clone();
  return (m.cols() == 1 ? t.flatten() : t).to(torch::kFloat32);
}

inline Eigen::VectorXd ToEigen(const torch::Tensor& t) {
  const torch::Tensor d = t.detach().flatten().to(torch::kFloat64).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(d.data_ptr<double>(), d.numel());
}

using domain::kKeyTensor;
using domain::kUnitWeightsTensor;

// The projection key as LibTorch uses it, from its stored form (domain::ProjectionKey).
inline StatusOr<ProjectionKey> KeyFromMap(const domain::ProjectionKey& map) {
  SM_ASSIGN_OR_RETURN(const Tensor* key, map.Get(kKeyTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd x, codes::MatrixFromTensor(*key));
  ProjectionKey out(ToTorch(x));
  if (map.Has(kUnitWeightsTensor)) {
    SM_ASSIGN_OR_RETURN(const Tensor* s, map.Get(kUnitWeightsTensor));
    SM_ASSIGN_OR_RETURN(Eigen::MatrixXd weights, codes::MatrixFromTensor(*s));
    out.unit_weights = ToTorch(weights).flatten();
  }
  return out;
}

// What an extractor hands the detectors: F = X w ('fingerprint'), and for the provenance
// test ‖w‖ ('signal_norm'), β ('signal_length') and X Xᵀ ('key_gram'), all float64.
inline StatusOr<TensorMap> ReadFingerprint(torch::jit::Module& model, const ProjectionKey& key,
                                           const std::string& layer) {
  torch::NoGradGuard no_grad;
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, KeyedSignal(model, key, layer));
  const torch::Tensor x = key.x.to(torch::kFloat64), w = signal.to(torch::kFloat64).flatten();
  TensorMap out;
  out.Put(std::string(domain::kFingerprintTensor), codes::ToTensor(ToEigen(torch::matmul(x, w))));
  out.Put(std::string(domain::kSignalNormTensor),
          codes::ToTensor(Eigen::VectorXd::Constant(1, w.norm().item<double>())));
  out.Put(std::string(domain::kSignalLengthTensor),
          codes::ToTensor(Eigen::VectorXd::Constant(1, static_cast<double>(w.numel()))));
  const torch::Tensor gram = torch::matmul(x, x.t()).contiguous();
  out.Put(
      std::string(domain::kKeyGramTensor),
      codes::ToTensor(
          Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
              gram.data_ptr<double>(), gram.size(0), gram.size(1))));
  return out;
}

// Where a new projection key's secrets come from. With an explicit `key_seed` (an opt-in
// for reproducible experiments) from that; otherwise from the secret basis U, so that the
// embeddings of every customer of one deployment draw the same key, and nobody without U
// can redraw it.
inline codes::SecretSeed KeyRoot(int64_t explicit_seed, const Eigen::MatrixXd& basis) {
  if (explicit_seed != 0)
    return codes::SecretSeed::FromNumber(static_cast<uint64_t>(explicit_seed));
  return codes::SecretSeed::FromSecret(basis.data(), sizeof(double) * basis.size())
      .Derive("projection key root");
}

// The key from the `key_in` input, or else a new Gaussian one drawn from `root` and
// emitted on `key_out` (a secret output), for a fingerprint of `rows` entries read from
// a layer carrying `cols` weights; with `secret_units` > 0, the new key also weighs that
// many units with secret zero-sum weights instead of averaging them. With `scale_to` (the
// layer's weight in the model to be marked) defined, X is scaled so that the model reads
// at the fingerprint's own scale (see LayerKeyScale).
inline StatusOr<ProjectionKey> KeyFromInputOrNew(
    Context& ctx, const Input<domain::ProjectionKey>& key_in,
    const Output<domain::ProjectionKey>& key_out, int64_t rows, int64_t cols,
    const std::string& layer, const codes::SecretSeed& root, int64_t secret_units = 0,
    const torch::Tensor& scale_to = {}) {
  if (ctx.Has(key_in)) {
    SM_ASSIGN_OR_RETURN(domain::ProjectionKey key_map, ctx.Get(key_in));
    return KeyFromMap(key_map);
  }
  SM_RETURN_IF_ERROR(CheckFingerprintFits(rows, cols, layer));
  const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
  codes::SecretStream key_stream(root.Derive("projection key " + layer + " " + shape));
  const Eigen::MatrixXd x = codes::GaussianMatrix(rows, cols, key_stream);
  ProjectionKey key(ToTorch(x));
  domain::ProjectionKey key_map;
  key_map.Put(std::string(kKeyTensor), codes::ToTensor(x));
  if (secret_units > 0) {
    codes::SecretStream order_stream(root.Derive("unit weights " + layer + " " + shape));
    key.unit_weights = UnitWeightsInOrder(order_stream.Permutation(secret_units));
    key_map.Put(std::string(kUnitWeightsTensor), codes::ToTensor(ToEigen(key.unit_weights)));
  }
  if (scale_to.defined()) {
    SM_ASSIGN_OR_RETURN(const double scale, LayerKeyScale(scale_to, key.unit_weights, layer));
    key.x = key.x * scale;
    key_map.Put(std::string(kKeyTensor), codes::ToTensor(x * scale));
  }
  key_map.SetAttr("layer", layer);
  SM_RETURN_IF_ERROR(ctx.Set(key_out, key_map));
  return key;
}

}  // namespace securemark::models
