// Colluder detectors on an extracted correlation vector y (one value per code position,
// y = Uᵀ F̂). All of them first divide y by a robust estimate of the signal level, so a
// uniformly rescaled layer (or a differently scaled extraction) does not change the result.
#pragma once

#include <string>
#include <vector>

#include "codes/codebook.h"

namespace securemark::codes {

struct Accusation {
  int64_t user;
  double score;  // larger = stronger evidence; detector-specific scale
};

struct Detection {
  std::string method;
  double signal_level = 0;
  std::vector<Accusation> accused;  // sorted by user
  std::vector<int64_t> Users() const;
};

// The signal level of y: for antipodal codes, the median of the largest quarter of values
// (positions every colluder holds as 1 sit at the level); for on-off codes, the largest
// value. Never below a tiny positive floor.
double SignalLevel(const Codebook& codebook, const std::vector<double>& y);

// Thresholds y / level at tau to get the AND of the colluders' words; its zero set is the
// union of their blocks, and the accused are exactly the users whose zeros all lie in it
// (O(n·k); exact for up to k-1 averaging colluders on a λ=1 design). For on-off codes,
// users whose value exceeds tau·level and the noise floor.
Detection HardThreshold(const Codebook& codebook, const std::vector<double>& y, double tau = 0.85);

// Adaptive sorting (after Trappe, Wu, Wang and Liu, IEEE TSP 2003): grows the suspected
// zero set from the lowest values upward and keeps the suspect set whose averaged code
// words best explain y (least squares).
Detection AdaptiveSorting(const Codebook& codebook, const std::vector<double>& y,
                          int64_t max_colluders = 0);

// Sequential (after Trappe et al.): adds, one at a time, the user whose code word most
// reduces the least-squares misfit of the averaging model, while the misfit drops.
Detection Sequential(const Codebook& codebook, const std::vector<double>& y,
                     int64_t max_colluders = 0);

}  // namespace securemark::codes
