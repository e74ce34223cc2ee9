// The one decision rule of every trace, simulated evaluation and robustness study: first
// provenance (is the suspect derived from this deployment at all? provenance.h), then
// identification (which customers' copies it came from: a detector, with accusations
// kept only beyond the calibrated threshold). Whoever decides with this code decides the
// same way, so a false-alarm rate measured in an evaluation predicts a real trace's.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codes/calibration.h"
#include "codes/codebook.h"
#include "codes/detectors.h"
#include "codes/provenance.h"

namespace securemark::codes {

// What the vendor read out of a suspect.
struct Extraction {
  std::vector<double> identity;  // correlations y = Uᵀ F_identity
  // F, X Xᵀ, ‖w‖ and β, with the basis U and the number of community entries of F in
  // front of it; absent for extractions that do not carry them, which then skip the
  // provenance test (and say so).
  std::optional<KeyedReading> reading;
  Eigen::MatrixXd basis;
  int64_t skip = 0;
};

struct DecisionRule {
  std::string detector = "hard_threshold";
  double tau = 0.85;
  int64_t max_colluders = 0;
  // Stage 1 level when there is no calibration (with one, its false_accusation).
  double provenance_level = 0.01;
};

struct VerdictEntry {
  int64_t user = 0;
  double score = 0;
  std::optional<double> evidence, p_value, empirical_p_value;
};

struct Verdict {
  // "provenance" when stage 1 found no evidence of derivation (nobody accused), else
  // "identification".
  std::string decided_by;
  std::optional<Provenance> provenance;
  Detection detection;  // the detector's own output, before calibration
  std::vector<VerdictEntry> accused, dismissed;
  std::set<int64_t> Users() const;
};

StatusOr<Verdict> Decide(const Codebook& codebook, const Extraction& extraction,
                         const DecisionRule& rule, const Calibration* calibration);

}  // namespace securemark::codes
