// The one decision rule of every trace, simulated evaluation and robustness study: first
// provenance (is the suspect derived from this deployment at all? provenance.h), then
// identification (which customers' copies it came from: a detector names candidates and
// each stays accused only if an exact test of its code word's weight, at the suspect's
// own noise level, rejects at false_accusation / users; identification.h). Whoever decides with
// this code decides the same way, so a false-alarm rate measured in an evaluation predicts a real
// trace's.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codes/calibration.h"
#include "codes/codebook.h"
#include "codes/detectors.h"
#include "codes/identification.h"
#include "codes/provenance.h"

namespace securemark::codes {

struct DecisionRule {
  std::string detector = "hard_threshold";
  double tau = 0.85;
  int64_t max_colluders = 0;
  // Level of both stages when there is no calibration (with one, its false_accusation):
  // the probability that an investigation of an innocent model accuses anyone.
  double false_accusation = 0.01;
};

struct VerdictEntry {
  int64_t user = 0;
  double score = 0;  // the detector's own
  // Stage 2's test (identification.h): t-statistic, its exact p-value and the share of
  // the average; the empirical p-value among the calibration's null innocents.
  std::optional<double> evidence, p_value, share, empirical_p_value;
};

struct Verdict {
  // "provenance" when stage 1 found no evidence of derivation (nobody accused), else
  // "identification".
  std::string decided_by;
  std::optional<Provenance> provenance;
  Detection detection;  // the detector's candidates, before stage 2's test
  std::vector<VerdictEntry> accused, dismissed;
  int64_t dof = 0;        // of stage 2's final fit
  bool whitened = false;  // stage 2 fitted in the key's whitened frame
  double per_user_level = 0;
  std::set<int64_t> Users() const;
};

StatusOr<Verdict> Decide(const Codebook& codebook, const Extraction& extraction,
                         const DecisionRule& rule, const Calibration* calibration);

}  // namespace securemark::codes
