// What the model plugins share: reading a model input, and moving keys and fingerprints
// between Eigen (where the codes live) and LibTorch.
#pragma once

#include <string>

#include <torch/script.h>
#include <Eigen/Dense>

#include "codes/keys.h"
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

// The projection key X as stored: TensorMap {"key": float64 [v, β]} with the layer's name.
inline constexpr std::string_view kKeyTensor = "key";

inline StatusOr<torch::Tensor> KeyFromMap(const TensorMap& map) {
  SM_ASSIGN_OR_RETURN(const Tensor* key, map.Get(kKeyTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd x, codes::MatrixFromTensor(*key));
  return ToTorch(x);
}

// The key from the `key_in` input, or else a new Gaussian one drawn from `seed` and
// emitted on `key_out` (a secret output), for a fingerprint of `rows` entries read from
// a layer carrying `cols` weights.
inline StatusOr<torch::Tensor> KeyFromInputOrNew(Context& ctx, const Input<TensorMap>& key_in,
                                                 const Output<TensorMap>& key_out, int64_t rows,
                                                 int64_t cols, const std::string& layer,
                                                 uint64_t seed) {
  if (ctx.Has(key_in)) {
    SM_ASSIGN_OR_RETURN(TensorMap key_map, ctx.Get(key_in));
    return KeyFromMap(key_map);
  }
  SM_RETURN_IF_ERROR(CheckFingerprintFits(rows, cols, layer));
  const Eigen::MatrixXd x = codes::GaussianMatrix(rows, cols, seed);
  TensorMap key_map;
  key_map.Put(std::string(kKeyTensor), codes::ToTensor(x));
  key_map.SetAttr("layer", layer);
  key_map.SetAttr("seed", std::to_string(seed));
  SM_RETURN_IF_ERROR(ctx.Set(key_out, key_map));
  return ToTorch(x);
}

}  // namespace securemark::models
