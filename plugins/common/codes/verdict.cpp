#include "codes/verdict.h"

#include <algorithm>

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
  const double level = calibration ? calibration->false_accusation : rule.false_accusation;
  if (extraction.reading) {
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
  std::vector<Accusation> candidates = v.detection.accused;
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Accusation& a, const Accusation& b) { return a.score > b.score; });
  std::vector<int64_t> users;
  for (const Accusation& a : candidates) users.push_back(a.user);
  v.per_user_level = level / static_cast<double>(codebook.users());
  SM_ASSIGN_OR_RETURN(Identification id, Identify(codebook, extraction, users, v.per_user_level));
  v.dof = id.dof;
  v.whitened = id.whitened;
  const auto score_of = [&](int64_t user) {
    for (const Accusation& a : candidates)
      if (a.user == user) return a.score;
    return 0.0;
  };
  const auto entry = [&](const CandidateTest& c) {
    VerdictEntry e{c.user, score_of(c.user), c.t, c.p_value, c.share, {}};
    if (calibration) e.empirical_p_value = PValueOf(calibration->null, c.t).empirical;
    return e;
  };
  for (const CandidateTest& c : id.kept)
    (!calibration || calibration->Accuses(c.t) ? v.accused : v.dismissed).push_back(entry(c));
  for (const CandidateTest& c : id.dropped) v.dismissed.push_back(entry(c));
  const auto by_user = [](const VerdictEntry& a, const VerdictEntry& b) { return a.user < b.user; };
  std::sort(v.accused.begin(), v.accused.end(), by_user);
  std::sort(v.dismissed.begin(), v.dismissed.end(), by_user);
  return v;
}

}  // namespace securemark::codes
