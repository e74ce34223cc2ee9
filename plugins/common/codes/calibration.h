// The empirical side of stage 2. Stage 2's test is exact under its noise model
// (identification.h); calibration checks it on models whose contributors the vendor knows:
// null models (coalitions of delivered copies, or models without any fingerprint) give
// the t-statistics of known innocents. A verdict reports each accused customer's
// empirical p-value among them, and nobody is accused on a t-statistic an innocent was
// seen to reach.
#pragma once

#include <cstdint>
#include <vector>

#include "securemark/status.h"

namespace securemark::codes {

// Innocents' scores pooled over null models, with their mean and standard deviation for
// the record.
struct NullCalibration {
  std::vector<double> scores;  // sorted ascending
  double mean = 0, sd = 0;
  int64_t models = 0;
};
StatusOr<NullCalibration> FitNull(std::vector<double> scores, int64_t models);

struct PValue {
  double gaussian = 1;   // upper tail of a Gaussian with the null's mean and sd
  double empirical = 1;  // (1 + #null scores >= s) / (1 + n)
};
PValue PValueOf(const NullCalibration& null, double score);

// A stated false-accusation probability with the null set that checks it.
struct Calibration {
  NullCalibration null;
  double false_accusation = 0.01;  // per investigation: P(any innocent accused)
  double per_user_level = 0;       // Bonferroni: false_accusation / users

  // Beyond every innocent in the null set.
  bool Accuses(double t) const { return null.scores.empty() || t > null.scores.back(); }
};
Calibration MakeCalibration(NullCalibration null, double false_accusation, int64_t users);

// Upper-tail probability of the standard normal and its inverse.
double NormalUpperTail(double z);
double NormalUpperQuantile(double p);

}  // namespace securemark::codes
