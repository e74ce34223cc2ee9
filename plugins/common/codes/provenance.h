// Stage 1 of a verdict: is a suspect model derived from this deployment at all?
//
// The key X (v × β) is drawn i.i.d. N(0, 1) by the vendor and kept secret. For any model
// made without it (trained independently, randomly initialised, another vendor's, or the
// reference model before fingerprinting), the layer signal w is a function of things
// independent of X (the suspect, and the reference it is aligned to), so
// F = X w ~ N(0, ‖w‖² I_v) exactly, whatever w is. The correlations y = Uᵀ F_id through
// the orthonormal basis are then N(0, ‖w‖² I) too. Dividing by ‖w‖ gives a null that is
// exact and free of scale, from which two statistics follow in closed form:
//   mean    z = <y, c̄> / (‖c̄‖ ‖w‖) ~ N(0, 1), where c̄ is the mean code word: every
//           coalition average of AND-ACC words lies on its positive side;
//   energy  q = (‖y‖² + ‖F_community‖²) / ‖w‖² ~ χ² with (code length + community bits)
//           degrees of freedom: an embedded fingerprint concentrates the layer's energy in
//           the key's row space, where an unrelated model leaves a share of v/β.
// The p-value of the test is the smaller of the two, doubled (Bonferroni), so the level
// holds exactly. Rescaling, permuting or padding units does not change ‖w‖ after
// alignment, and the statistics see only the ratio of fingerprint to ‖w‖.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "codes/codebook.h"
#include "securemark/status.h"

namespace securemark::codes {

struct Provenance {
  double signal_norm = 0;  // ‖w‖ of the suspect's (aligned) marked layer
  double mean_z = 0, mean_p = 1;
  double energy = 0, energy_p = 1;
  int64_t degrees = 0;  // of the energy statistic
  double p_value = 1;   // min(1, 2 · min(mean_p, energy_p))
  double level = 0;
  bool derived = false;  // p_value <= level
};

// `identity` are the correlations y = Uᵀ F (one per code position), `community` the
// leading entries of F that bypass the basis (may be empty). DataLoss when ‖w‖ or the extraction is
// not finite.
StatusOr<Provenance> TestProvenance(const Codebook& codebook, const std::vector<double>& identity,
                                    const std::vector<double>& community, double signal_norm,
                                    double level);

// Upper tail of the χ² distribution with `degrees` degrees of freedom.
double ChiSquareUpperTail(double x, int64_t degrees);

}  // namespace securemark::codes
