#include "codes/verdict.h"

#include "codes/collusion.h"

namespace securemark::codes {

std::set<int64_t> Verdict::Users() const {
  std::set<int64_t> out;
  for (const VerdictEntry& e : accused) out.insert(e.user);
  return out;
}

StatusOr<Verdict> Decide(const Codebook& codebook, const Extraction& extraction,
                         const DecisionRule& rule, const Calibration* calibration) {
  Verdict v;
  if (extraction.reading) {
    const double level = calibration ? calibration->false_accusation : rule.provenance_level;
    SM_ASSIGN_OR_RETURN(v.provenance, TestProvenance(codebook, extraction.basis, extraction.skip,
                                                     *extraction.reading, level));
    if (!v.provenance->derived) {
      v.decided_by = "provenance";
      v.detection.method = rule.detector;
      return v;
    }
  }
  v.decided_by = "identification";
  SM_ASSIGN_OR_RETURN(v.detection, Detect(codebook, extraction.identity, rule.detector, rule.tau,
                                          rule.max_colluders));
  if (calibration == nullptr) {
    for (const Accusation& a : v.detection.accused)
      v.accused.push_back({a.user, a.score, {}, {}, {}});
    return v;
  }
  SM_ASSIGN_OR_RETURN(std::vector<double> evidence, Evidence(codebook, extraction.identity));
  for (const Accusation& a : v.detection.accused) {
    const PValue p = PValueOf(calibration->null, evidence[a.user]);
    VerdictEntry e{a.user, a.score, evidence[a.user], p.gaussian, p.empirical};
    (calibration->Accuses(evidence[a.user]) ? v.accused : v.dismissed).push_back(e);
  }
  return v;
}

}  // namespace securemark::codes
