#include "codes/provenance.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/math/special_functions/beta.hpp>

namespace securemark::codes {
Eigen::VectorXd MeanCodeWord(const Codebook& code) {
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(code.length());
  std::vector<double> b(code.length());
  for (int64_t u = 0; u < code.users(); ++u) {
    code.Coefficients(u, b.data());
    for (int64_t i = 0; i < code.length(); ++i) mean(i) += b[i];
  }
  return mean / static_cast<double>(code.users());
}

double SphereCoordinateUpperTail(double s, int64_t n) {
  if (s >= 1) return 0;
  if (s <= -1) return 1;
  const double half = 0.5 * boost::math::ibeta((n - 1) / 2.0, 0.5, 1 - s * s);
  return s >= 0 ? half : 1 - half;
}

StatusOr<Eigen::MatrixXd> WhiteningOf(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                      int64_t skip, const KeyedReading& r) {
  const int64_t v = r.fingerprint.size(), beta = r.signal_length;
  if (r.gram.rows() != v || r.gram.cols() != v) {
    return InvalidArgumentError(
        "provenance: the key's Gram matrix is " + std::to_string(r.gram.rows()) + "x" +
        std::to_string(r.gram.cols()) + " for a " + std::to_string(v) + "-entry fingerprint");
  }
  if (skip < 0 || basis.rows() != v - skip || basis.cols() != codebook.length()) {
    return InvalidArgumentError("provenance: the basis does not fit the fingerprint");
  }
  if (beta <= v) {
    return InvalidArgumentError("provenance: the layer carries " + std::to_string(beta) +
                                " values, not more than the " + std::to_string(v) +
                                " the key reads");
  }
  if (!std::isfinite(r.signal_norm) || r.signal_norm <= 0 || !r.fingerprint.allFinite() ||
      !r.gram.allFinite()) {
    return DataLossError("provenance: the marked layer's norm is " + std::to_string(r.signal_norm) +
                         " or the reading is not finite; the suspect's weights are zero or "
                         "not finite");
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(r.gram);
  if (eigen.info() != Eigen::Success || eigen.eigenvalues().minCoeff() <= 0) {
    return InvalidArgumentError("provenance: the key's rows are linearly dependent");
  }
  return Eigen::MatrixXd(eigen.eigenvectors() *
                         eigen.eigenvalues().cwiseInverse().cwiseSqrt().asDiagonal() *
                         eigen.eigenvectors().transpose());
}

StatusOr<Provenance> TestProvenance(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                    int64_t skip, const KeyedReading& r, double level) {
  SM_ASSIGN_OR_RETURN(const Eigen::MatrixXd whiten, WhiteningOf(codebook, basis, skip, r));
  const int64_t v = r.fingerprint.size(), beta = r.signal_length;
  const Eigen::VectorXd z = whiten * r.fingerprint;
  Provenance p;
  p.signal_norm = r.signal_norm;
  p.level = level;
  p.energy = z.squaredNorm() / (r.signal_norm * r.signal_norm);
  p.energy_null_mean = static_cast<double>(v) / beta;
  p.energy_p = boost::math::ibetac(v / 2.0, (beta - v) / 2.0, std::clamp(p.energy, 0.0, 1.0));
  Eigen::VectorXd template_f = Eigen::VectorXd::Zero(v);
  template_f.tail(v - skip) = basis * MeanCodeWord(codebook);
  const Eigen::VectorXd m = whiten * template_f;
  if (m.norm() > 0) {
    const double t = z.dot(m) / (m.norm() * r.signal_norm);
    p.mean_z = t * std::sqrt(static_cast<double>(beta));
    p.mean_p = SphereCoordinateUpperTail(t, beta);
  }
  p.p_value = std::min(1.0, 2.0 * std::min(p.mean_p, p.energy_p));
  p.derived = p.p_value <= level;
  return p;
}

}  // namespace securemark::codes
