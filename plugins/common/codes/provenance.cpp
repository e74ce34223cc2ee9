#include "codes/provenance.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/math/special_functions/gamma.hpp>

#include "codes/calibration.h"

namespace securemark::codes {
namespace {

std::vector<double> MeanCodeWord(const Codebook& code) {
  std::vector<double> mean(code.length(), 0.0), b(code.length());
  for (int64_t u = 0; u < code.users(); ++u) {
    code.Coefficients(u, b.data());
    for (int64_t i = 0; i < code.length(); ++i) mean[i] += b[i];
  }
  for (double& m : mean) m /= static_cast<double>(code.users());
  return mean;
}

}  // namespace

double ChiSquareUpperTail(double x, int64_t degrees) {
  if (!(x > 0)) return 1.0;
  return boost::math::gamma_q(static_cast<double>(degrees) / 2.0, x / 2.0);
}

StatusOr<Provenance> TestProvenance(const Codebook& codebook, const std::vector<double>& identity,
                                    const std::vector<double>& community, double signal_norm,
                                    double level) {
  const Codebook& code = codebook;
  if (static_cast<int64_t>(identity.size()) != code.length()) {
    return InvalidArgumentError("provenance: " + std::to_string(identity.size()) +
                                " correlations for a " + std::to_string(code.length()) +
                                "-position code");
  }
  if (!std::isfinite(signal_norm) || signal_norm <= 0) {
    return DataLossError("provenance: the marked layer's norm is " + std::to_string(signal_norm) +
                         "; the suspect's weights are zero or not finite");
  }
  Provenance p;
  p.signal_norm = signal_norm;
  p.level = level;
  const std::vector<double> mean = MeanCodeWord(code);
  double dot = 0, mean_norm = 0, energy = 0;
  for (size_t i = 0; i < identity.size(); ++i) {
    if (!std::isfinite(identity[i]))
      return DataLossError("provenance: the extraction is not finite");
    dot += identity[i] * mean[i];
    mean_norm += mean[i] * mean[i];
    energy += identity[i] * identity[i];
  }
  for (double c : community) {
    if (!std::isfinite(c)) return DataLossError("provenance: the extraction is not finite");
    energy += c * c;
  }
  const double scale = signal_norm * signal_norm;
  p.degrees = static_cast<int64_t>(identity.size() + community.size());
  p.energy = energy / scale;
  p.energy_p = ChiSquareUpperTail(p.energy, p.degrees);
  if (mean_norm > 0) {
    p.mean_z = dot / (std::sqrt(mean_norm) * signal_norm);
    p.mean_p = NormalUpperTail(p.mean_z);
  }
  p.p_value = std::min(1.0, 2.0 * std::min(p.mean_p, p.energy_p));
  p.derived = p.p_value <= level;
  return p;
}

}  // namespace securemark::codes
