#include "codes/keys.h"

#include <random>

namespace securemark::codes {

Eigen::MatrixXd GaussianMatrix(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd m(rows, cols);
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t r = 0; r < rows; ++r) m(r, c) = normal(rng);
  }
  return m;
}

Eigen::MatrixXd OrthonormalBasis(int64_t dim, int64_t count, uint64_t seed) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(GaussianMatrix(dim, count, seed));
  return qr.householderQ() * Eigen::MatrixXd::Identity(dim, count);
}

Eigen::VectorXd FingerprintVector(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                  int64_t user) {
  Eigen::VectorXd b(codebook.length());
  codebook.Coefficients(user, b.data());
  return basis * b;
}

Eigen::VectorXd ComposeFingerprint(const std::vector<uint8_t>& community_bits,
                                   const Eigen::VectorXd& identity) {
  Eigen::VectorXd f(static_cast<int64_t>(community_bits.size()) + identity.size());
  for (size_t i = 0; i < community_bits.size(); ++i) f(i) = community_bits[i] ? 1.0 : -1.0;
  f.tail(identity.size()) = identity;
  return f;
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> SplitFingerprint(const Eigen::VectorXd& f,
                                                             int64_t community_bits) {
  return {f.head(community_bits), f.tail(f.size() - community_bits)};
}

Tensor ToTensor(const Eigen::MatrixXd& m) {
  Tensor t(DType::kFloat64, {m.rows(), m.cols()});
  double* out = t.mutable_data<double>();
  for (int64_t r = 0; r < m.rows(); ++r) {
    for (int64_t c = 0; c < m.cols(); ++c) out[r * m.cols() + c] = m(r, c);
  }
  return t;
}

StatusOr<Eigen::MatrixXd> MatrixFromTensor(const Tensor& t) {
  if (t.dtype() != DType::kFloat64 || t.shape().size() > 2 || t.shape().empty()) {
    return InvalidArgumentError("expected a float64 vector or matrix, got " + t.ShapeString());
  }
  const int64_t rows = t.dim(0), cols = t.shape().size() == 2 ? t.dim(1) : 1;
  Eigen::MatrixXd m(rows, cols);
  const double* in = t.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m(r, c) = in[r * cols + c];
  }
  return m;
}

}  // namespace securemark::codes
