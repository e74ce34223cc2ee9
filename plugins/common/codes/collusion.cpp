#include "codes/collusion.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "codes/tardos.h"

namespace securemark::codes {

Rate WilsonRate(int64_t successes, int64_t total) {
  Rate r;
  r.successes = successes;
  r.total = total;
  if (total == 0) return r;
  const double n = static_cast<double>(total), p = successes / n, z = 1.959963984540054;
  const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
  r.value = p;
  r.low = std::max(0.0, centre - half);
  r.high = std::min(1.0, centre + half);
  return r;
}

StatusOr<Detection> Detect(const Codebook& codebook, const std::vector<double>& y,
                           const std::string& detector, double tau, int64_t max_colluders) {
  if (detector == "hard_threshold") return HardThreshold(codebook, y, tau);
  if (detector == "adaptive_sorting") return AdaptiveSorting(codebook, y, max_colluders);
  if (detector == "sequential") return Sequential(codebook, y, max_colluders);
  if (detector == "tardos") return TardosAccuse(codebook, y);
  return InvalidArgumentError("unknown detector '" + detector +
                              "'; expected hard_threshold, adaptive_sorting, sequential or tardos");
}

StatusOr<std::vector<CollusionResult>> EvaluateCollusion(const Codebook& codebook,
                                                         const CollusionOptions& o) {
  if (o.k_min < 1 || o.k_max < o.k_min || o.k_max > codebook.users()) {
    return InvalidArgumentError("coalition sizes must satisfy 1 <= k_min <= k_max <= users (" +
                                std::to_string(codebook.users()) + ")");
  }
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int64_t> pick(0, codebook.users() - 1);
  std::uniform_real_distribution<double> log_scale(std::log(0.01), std::log(100.0));
  std::normal_distribution<double> normal(0.0, 1.0);
  const int64_t v = codebook.length();
  std::vector<double> y(v), b(v);
  std::vector<CollusionResult> results;
  for (int64_t k = o.k_min; k <= o.k_max; ++k) {
    int64_t caught = 0, innocents_accused = 0, exact = 0, accused_total = 0;
    for (int64_t trial = 0; trial < o.trials; ++trial) {
      std::unordered_set<int64_t> coalition;
      while (static_cast<int64_t>(coalition.size()) < k) coalition.insert(pick(rng));
      std::fill(y.begin(), y.end(), 0.0);
      for (int64_t u : coalition) {
        codebook.Coefficients(u, b.data());
        for (int64_t i = 0; i < v; ++i) y[i] += b[i] / static_cast<double>(k);
      }
      if (std::isfinite(o.snr_db)) {
        double power = 0;
        for (double e : y) power += e * e;
        const double sigma = std::sqrt(power / v / std::pow(10.0, o.snr_db / 10.0));
        for (double& e : y) e += sigma * normal(rng);
      }
      if (o.random_scale) {
        const double s = std::exp(log_scale(rng));
        for (double& e : y) e *= s;
      }
      SM_ASSIGN_OR_RETURN(Detection d, Detect(codebook, y, o.detector, o.tau, 0));
      int64_t hits = 0;
      for (const Accusation& a : d.accused) hits += coalition.count(a.user);
      caught += hits;
      innocents_accused += static_cast<int64_t>(d.accused.size()) - hits;
      exact += hits == k && static_cast<int64_t>(d.accused.size()) == k;
      accused_total += static_cast<int64_t>(d.accused.size());
    }
    CollusionResult r;
    r.k = k;
    r.trials = o.trials;
    r.detection = WilsonRate(caught, k * o.trials);
    r.false_alarm = WilsonRate(innocents_accused, (codebook.users() - k) * o.trials);
    r.exact = WilsonRate(exact, o.trials);
    r.mean_accused = static_cast<double>(accused_total) / static_cast<double>(o.trials);
    results.push_back(r);
  }
  return results;
}

}  // namespace securemark::codes
