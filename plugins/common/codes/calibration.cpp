#include "codes/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace securemark::codes {

StatusOr<NullCalibration> FitNull(std::vector<double> scores, int64_t models) {
  if (scores.size() < 2) {
    return InvalidArgumentError("calibration needs at least two null scores, got " +
                                std::to_string(scores.size()));
  }
  for (double s : scores) {
    if (!std::isfinite(s)) return InvalidArgumentError("a null score is not finite");
  }
  NullCalibration null;
  std::sort(scores.begin(), scores.end());
  const double n = static_cast<double>(scores.size());
  null.mean = std::accumulate(scores.begin(), scores.end(), 0.0) / n;
  double ss = 0;
  for (double s : scores) ss += (s - null.mean) * (s - null.mean);
  null.sd = std::max(std::sqrt(ss / (n - 1)), 1e-12);
  null.scores = std::move(scores);
  null.models = models;
  return null;
}

PValue PValueOf(const NullCalibration& null, double score) {
  PValue p;
  p.gaussian = NormalUpperTail((score - null.mean) / null.sd);
  const auto at_least =
      null.scores.end() - std::lower_bound(null.scores.begin(), null.scores.end(), score);
  p.empirical = (1.0 + static_cast<double>(at_least)) / (1.0 + null.scores.size());
  return p;
}

Calibration MakeCalibration(NullCalibration null, double false_accusation, int64_t users) {
  return Calibration{std::move(null), false_accusation, false_accusation / users};
}

double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double NormalUpperQuantile(double p) {
  if (p <= 0) return INFINITY;
  if (p >= 1) return -INFINITY;
  double lo = -40, hi = 40;  // the tail is monotone: bisect to double precision
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    (NormalUpperTail(mid) > p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace securemark::codes
