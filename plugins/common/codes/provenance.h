// Stage 1 of a verdict: is a suspect model derived from this deployment at all?
//
// The key X (v × β) is drawn i.i.d. N(0, 1) by the vendor and kept secret. For a model
// made without it (trained independently, randomly initialised, another vendor's, the
// reference before fingerprinting, a copy from a deployment with another key) the layer
// vector w is a function of things independent of X: the suspect, and the reference it
// is aligned to. The test reads w through the orthonormal frame Z = (X Xᵀ)^(-1/2) X
// spanning X's row space, z = Z w = (X Xᵀ)^(-1/2) F. Two views give the same null:
//   - over the key, for any fixed w: Z is uniformly distributed on the frames (Gaussian
//     rotation invariance) and independent of X Xᵀ, so z / ‖w‖ is the first v
//     coordinates of a uniformly random unit vector in R^β;
//   - over the models, for this one key: an isotropic w gives the same.
// So for this key and any unrelated model, with no fitting:
//   energy  q = ‖z‖² / ‖w‖² ~ Beta(v/2, (β−v)/2): an embedded fingerprint concentrates
//           the layer's energy in the key's row space, where an unrelated model leaves
//           a share v/β;
//   mean    t = <z, m> / ‖w‖, m the unit direction of the mean code word in z-space
//           (every coalition average of AND-ACC words lies on its positive side), is one
//           coordinate of a uniform unit vector: P(t ≥ s) = I_{1−s²}((β−1)/2, 1/2) / 2.
// The p-value is the smaller of the two, doubled (Bonferroni). Reading F = X w directly
// instead (‖F‖² / ‖w‖² ~ χ²_v over the key) is exact only averaged over keys: for the
// one key a vendor holds, its tail over unrelated models is heavier by the spread of
// X Xᵀ's eigenvalues (measured: 74 of 4,000 isotropic models at level 0.01 for one key, where 40
// are due).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "codes/codebook.h"
#include "securemark/status.h"

namespace securemark::codes {

// What the extractor measured besides F.
struct KeyedReading {
  Eigen::VectorXd fingerprint;  // F = X w, all v entries (community entries first)
  Eigen::MatrixXd gram;         // X Xᵀ (v × v)
  double signal_norm = 0;       // ‖w‖ of the suspect's (aligned) marked layer
  int64_t signal_length = 0;    // β
};

struct Provenance {
  double signal_norm = 0;
  double mean_z = 0, mean_p = 1;  // mean_z = t √β, near N(0, 1) under the null
  double energy = 0, energy_p = 1;
  double energy_null_mean = 0;  // v / β
  double p_value = 1;           // min(1, 2 · min(mean_p, energy_p))
  double level = 0;
  bool derived = false;  // p_value <= level
};

// `basis` is U (identity rows of F × code positions); the first `skip` entries of F are
// community bits outside the basis. InvalidArgument for shapes that do not fit, DataLoss
// for a zero or non-finite reading.
StatusOr<Provenance> TestProvenance(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                    int64_t skip, const KeyedReading& reading, double level);

// (X Xᵀ)^(-1/2) after checking that the reading fits the codebook, the basis and `skip`:
// the map to the frame in which a model made without the key reads as a uniformly random
// direction. InvalidArgument for shapes that do not fit, DataLoss for a zero or
// non-finite reading.
StatusOr<Eigen::MatrixXd> WhiteningOf(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                      int64_t skip, const KeyedReading& reading);

// The mean of every user's coefficient vector: the direction the provenance test's mean
// statistic reads (every coalition average of AND-ACC words lies on its positive side).
Eigen::VectorXd MeanCodeWord(const Codebook& codebook);

// P(t ≥ s) for t one coordinate of a uniformly random unit vector in R^n.
double SphereCoordinateUpperTail(double s, int64_t n);

}  // namespace securemark::codes
