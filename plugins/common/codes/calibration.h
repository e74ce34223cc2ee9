// Calibrating accusations on null models. A detector names suspects; calibration says how
// surprising each suspect's evidence would be if that customer had nothing to do with the
// model. The vendor measures the evidence of known innocents on null models (models
// trained without the fingerprint, or carrying other customers' fingerprints), and a
// customer is accused only when their evidence is beyond what innocents reach at a stated
// false-accusation probability.
#pragma once

#include <cstdint>
#include <vector>

#include "codes/codebook.h"
#include "securemark/status.h"

namespace securemark::codes {

// Evidence per user that y contains their code word, free of the extraction's scale.
// With x = y / SignalLevel():
//   antipodal codes  (c - max of x over the user's zero positions) / s, where c and s are
//                    the mean and standard deviation of x at the positions near the level
//                    (x >= 0.8: those no colluder holds, for coalitions up to 10): the
//                    margin, in noise units, by which the user's whole block sits below
//                    the level;
//   on-off codes     x_u / s, s a robust spread of all of x.
// For dense (Tardos) codes the margin is a weak statistic, but calibrated p-values stay
// valid. Innocents' evidence is largest when colluders touch all but one of their zeros
// (k-1 colluders on a λ=1 design), so null models should be such coalitions.
StatusOr<std::vector<double>> Evidence(const Codebook& codebook, const std::vector<double>& y);

// The null distribution of evidence, pooled over known innocents on null models. Its tail
// is modelled as a Gaussian (a stated assumption) matched to the 90% and 99.5% quantiles
// when there are at least 200 scores, else to the mean and standard deviation; the
// empirical tail is reported beside it and cannot go below 1 / (n + 1).
struct NullCalibration {
  std::vector<double> scores;  // sorted ascending
  double mean = 0, sd = 0;
  int64_t models = 0;
};
StatusOr<NullCalibration> FitNull(std::vector<double> scores, int64_t models);

struct PValue {
  double gaussian = 1;   // upper tail of the fitted Gaussian
  double empirical = 1;  // (1 + #null scores >= s) / (1 + n)
};
PValue PValueOf(const NullCalibration& null, double score);

// The evidence an innocent exceeds with probability `p` under the fitted Gaussian.
double ThresholdFor(const NullCalibration& null, double p);

// A stated false-accusation probability applied to a null distribution.
struct Calibration {
  NullCalibration null;
  double false_accusation = 0.01;  // per investigation: P(any innocent accused)
  double per_user_level = 0;       // Bonferroni: false_accusation / users
  double threshold = 0;            // evidence above which a p-value is below per_user_level

  // Whether evidence this strong accuses: beyond the fitted tail's threshold and beyond
  // every innocent in the null set. The second rule matters when the fitted tail is too
  // light (e.g. a model pruned to noise, whose evidence is a ratio of noisy estimates):
  // nobody is accused on evidence an innocent was seen to reach.
  bool Accuses(double evidence) const {
    return evidence > threshold && (null.scores.empty() || evidence > null.scores.back());
  }
};
Calibration MakeCalibration(NullCalibration null, double false_accusation, int64_t users);

// Upper-tail probability of the standard normal and its inverse.
double NormalUpperTail(double z);
double NormalUpperQuantile(double p);

}  // namespace securemark::codes
