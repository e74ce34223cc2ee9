#include "codes/tardos.h"

#include <cmath>
#include <random>

namespace securemark::codes {
namespace {

// Φ⁻¹ by bisection on erfc: accurate to 1e-12, plenty for thresholds.
double InverseNormalTail(double tail) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

int64_t TardosLength(int64_t colluders, int64_t users, double epsilon1) {
  const double c = static_cast<double>(colluders);
  return static_cast<int64_t>(std::ceil(M_PI * M_PI * c * c * std::log(users / epsilon1)));
}

StatusOr<Codebook> TardosCodebook(const TardosParams& p, SecretStream& stream) {
  if (p.users < 2 || p.colluders < 1 || !(p.epsilon1 > 0 && p.epsilon1 < 1)) {
    return InvalidArgumentError(
        "Tardos codes need users >= 2, colluders >= 1 and 0 < epsilon1 < 1");
  }
  const int64_t m = TardosLength(p.colluders, p.users, p.epsilon1);
  if (m * p.users > (int64_t{1} << 31)) {
    return ResourceExhaustedError("a Tardos code for " + std::to_string(p.users) + " users and " +
                                  std::to_string(p.colluders) + " colluders needs " +
                                  std::to_string(m) +
                                  " bits per user; that is more than 2^31 bits in all");
  }
  const double t = 1.0 / (300.0 * static_cast<double>(p.colluders));
  const double r_lo = std::asin(std::sqrt(t)), r_hi = M_PI / 2 - r_lo;
  std::vector<double> bias(m);
  for (auto& b : bias) {
    b = std::pow(std::sin(r_lo + (r_hi - r_lo) * stream.Uniform()), 2);  // arcsine on [t, 1-t]
  }
  std::vector<uint8_t> bits(m * p.users);
  for (int64_t u = 0; u < p.users; ++u) {
    for (int64_t i = 0; i < m; ++i) bits[u * m + i] = stream.Uniform() < bias[i];
  }
  Codebook c = Codebook::Dense(
      "Tardos (c=" + std::to_string(p.colluders) + ", n=" + std::to_string(p.users) + ")", m,
      p.users, std::move(bits), Modulation::kAntipodal);
  const double threshold =
      std::sqrt(static_cast<double>(m)) * InverseNormalTail(p.epsilon1 / p.users);
  c.extra().Put("tardos.bias", Tensor::FromVector<double>({m}, bias));
  c.extra().SetAttr("tardos.threshold", std::to_string(threshold));
  c.extra().SetAttr("tardos.colluders", std::to_string(p.colluders));
  c.extra().SetAttr("tardos.epsilon1", std::to_string(p.epsilon1));
  return c;
}

Detection TardosAccuse(const Codebook& codebook, const std::vector<double>& y) {
  Detection d{"tardos", 1.0, {}};
  StatusOr<const Tensor*> bias_tensor = codebook.extra().Get("tardos.bias");
  if (!bias_tensor.ok()) return d;
  const double* bias = (*bias_tensor)->data<double>();
  const double threshold = std::stod(codebook.extra().Attr("tardos.threshold", "1e300"));
  const int64_t m = codebook.length();
  std::vector<double> g1(m), g0(m);  // score of agreeing on a 1 / on a 0
  for (int64_t i = 0; i < m; ++i) {
    g1[i] = std::sqrt((1 - bias[i]) / bias[i]);
    g0[i] = std::sqrt(bias[i] / (1 - bias[i]));
  }
  for (int64_t u = 0; u < codebook.users(); ++u) {
    double score = 0;
    for (int64_t i = 0; i < m; ++i) {
      if (std::fabs(y[i]) < 1e-12) continue;  // a tie: no information at this position
      const bool pirate = y[i] > 0, mine = codebook.Bit(i, u);
      if (pirate)
        score += mine ? g1[i] : -g0[i];
      else
        score += mine ? -g1[i] : g0[i];
    }
    if (score > threshold) d.accused.push_back({u, score / threshold});
  }
  return d;
}

double TardosFalseAccusationBound(double threshold, int64_t length, int64_t users) {
  return std::min(1.0, users * 0.5 * std::erfc(threshold / std::sqrt(2.0 * length)));
}

}  // namespace securemark::codes
