#include "codes/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "codes/detectors.h"

namespace securemark::codes {
namespace {

constexpr double kNoiseFloor = 1e-9;
constexpr double kMadToSigma = 1.4826;
constexpr double kNearLevel = 0.8;
constexpr size_t kMinNear = 8;
constexpr size_t kTailFitScores = 200;
constexpr double kTailLow = 0.9, kTailHigh = 0.995;

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Robust spread of the values around `centre`.
double Spread(const std::vector<double>& v, double centre) {
  std::vector<double> dev(v.size());
  for (size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - centre);
  return std::max(kMadToSigma * Median(dev), kNoiseFloor);
}

}  // namespace

StatusOr<std::vector<double>> Evidence(const Codebook& codebook, const std::vector<double>& y) {
  if (static_cast<int64_t>(y.size()) != codebook.length()) {
    return InvalidArgumentError("the extraction has " + std::to_string(y.size()) +
                                " entries but the code has " + std::to_string(codebook.length()));
  }
  const double level = SignalLevel(codebook, y);
  std::vector<double> x(y.size());
  for (size_t i = 0; i < y.size(); ++i) x[i] = y[i] / level;
  std::vector<double> evidence(codebook.users());
  if (codebook.modulation() == Modulation::kOnOff) {
    const double noise = Spread(x, 0.0);
    for (int64_t u = 0; u < codebook.users(); ++u) evidence[u] = x[u] / noise;
    return evidence;
  }
  // Positions no colluder holds sit at the level (x = 1) up to noise; with up to
  // kMaxNear colluders every other position lies at or below 1 - 2/kMaxNear.
  std::vector<double> near;
  for (double v : x)
    if (v >= kNearLevel) near.push_back(v);
  if (near.size() < kMinNear) {
    std::vector<double> sorted(x);
    std::sort(sorted.begin(), sorted.end());
    near.assign(sorted.end() - std::min(kMinNear, sorted.size()), sorted.end());
  }
  // Mean and standard deviation: a MAD of a dozen values is too unstable a denominator.
  const double centre = std::accumulate(near.begin(), near.end(), 0.0) / near.size();
  double ss = 0;
  for (double v : near) ss += (v - centre) * (v - centre);
  const double noise = std::max(std::sqrt(ss / (near.size() - 1)), kNoiseFloor);
  for (int64_t u = 0; u < codebook.users(); ++u) {
    double worst = -1e300;
    for (int32_t p : codebook.Zeros(u)) worst = std::max(worst, x[p]);
    evidence[u] = (centre - worst) / noise;
  }
  return evidence;
}

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
  if (scores.size() >= kTailFitScores) {
    // Match the Gaussian to the upper tail: null scores pool innocents in different
    // positions (e.g. with fewer or more of their zeros touched by colluders), and the
    // worst placed dominate the tail that decides accusations.
    const auto quantile = [&](double q) { return scores[static_cast<size_t>(q * (n - 1))]; };
    const double z_low = NormalUpperQuantile(1 - kTailLow),
                 z_high = NormalUpperQuantile(1 - kTailHigh);
    null.sd = (quantile(kTailHigh) - quantile(kTailLow)) / (z_high - z_low);
    null.mean = quantile(kTailLow) - z_low * null.sd;
  } else {
    null.mean = std::accumulate(scores.begin(), scores.end(), 0.0) / n;
    double ss = 0;
    for (double s : scores) ss += (s - null.mean) * (s - null.mean);
    null.sd = std::sqrt(ss / (n - 1));
  }
  null.sd = std::max(null.sd, kNoiseFloor);
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
  Calibration c{std::move(null), false_accusation, false_accusation / users, 0};
  c.threshold = ThresholdFor(c.null, c.per_user_level);
  return c;
}

double ThresholdFor(const NullCalibration& null, double p) {
  return null.mean + null.sd * NormalUpperQuantile(p);
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
