// Monte Carlo evaluation of tracing under averaging collusion: for each coalition size K,
// random coalitions of K distinct users average their fingerprint coefficient vectors
// (with U orthonormal, Uᵀ of the averaged fingerprint is the averaged coefficients),
// optional white Gaussian noise at a given SNR and a random overall scale are applied,
// and a detector names suspects.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "codes/codebook.h"
#include "codes/detectors.h"

namespace securemark::codes {

struct CollusionOptions {
  int64_t k_min = 1;
  int64_t k_max = 5;
  int64_t trials = 1000;
  double snr_db = std::numeric_limits<double>::infinity();  // infinity: no noise
  bool random_scale = false;  // multiply each extraction by a random factor in [0.01, 100]
  std::string detector = "hard_threshold";  // adaptive_sorting, sequential, tardos
  double tau = 0.85;
  uint64_t seed = 0;
};

// A proportion with its 95% Wilson score interval.
struct Rate {
  double value = 0, low = 0, high = 0;
  int64_t successes = 0, total = 0;
};
Rate WilsonRate(int64_t successes, int64_t total);

struct CollusionResult {
  int64_t k = 0;
  int64_t trials = 0;
  Rate detection;    // colluders accused / colluders
  Rate false_alarm;  // innocents accused / innocents
  Rate exact;        // trials whose accused set is exactly the coalition
  double mean_accused = 0;
};

StatusOr<std::vector<CollusionResult>> EvaluateCollusion(const Codebook& codebook,
                                                         const CollusionOptions& options);

// Runs the detector named in options on y.
StatusOr<Detection> Detect(const Codebook& codebook, const std::vector<double>& y,
                           const std::string& detector, double tau = 0.85,
                           int64_t max_colluders = 0);

}  // namespace securemark::codes
