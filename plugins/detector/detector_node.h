// The common shape of every detector plugin: a codebook, the secret basis U and an
// extracted vector in; the accused customers with scores out. Detectors differ only in
// the method they call. Every verdict comes from codes::Decide: the provenance test, then
// the detector's candidates, each kept only if the exact test of its code word's weight
// rejects at false_accusation / users; with a calibration (calibration.null_models), also
// beyond every innocent in its null set, with an empirical p-value beside the exact one.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "codes/calibration_json.h"
#include "codes/collusion.h"
#include "codes/detection_inputs.h"
#include "codes/keys.h"
#include "codes/verdict.h"
#include "domain/domain_values.h"
#include "securemark/node.h"

namespace securemark::detector {

using codes::Calibration;
using codes::CalibrationFromJson;
using codes::kBasis;
using codes::kCodebook;
using codes::kCommunityBits;
using codes::kExtracted;
using codes::kTau;

inline constexpr Input<domain::Calibration> kCalibration{
    "calibration",
    "Null-model calibration: sets the false-accusation probability, adds empirical "
    "p-values and dismisses scores an innocent reached.",
    kOptional};
inline constexpr Output<domain::Accusation> kAccusation{
    "accusation",
    "{method, decided_by, provenance, identification, accused: [{user, score, evidence, "
    "p_value, share}], dismissed}."};
inline constexpr Param<int64_t> kMaxColluders{
    "max_colluders", 0, "Largest coalition considered (0 = automatic).", Range{0, 100000}};

inline nlohmann::json ProvenanceJson(const codes::Verdict& v) {
  if (!v.provenance) {
    return {{"tested", false},
            {"reason",
             "the extraction records no layer norm (extractor.projection 1.2 or later "
             "does), so derivation from the deployment was not tested"}};
  }
  const codes::Provenance& p = *v.provenance;
  return {{"tested", true},
          {"derived", p.derived},
          {"p_value", p.p_value},
          {"level", p.level},
          {"signal_norm", p.signal_norm},
          {"mean_z", p.mean_z},
          {"mean_p", p.mean_p},
          {"energy", p.energy},
          {"energy_null_mean", p.energy_null_mean},
          {"energy_p", p.energy_p},
          {"null",
           "closed form: for a model made without the key, (X X^T)^(-1/2) X w / |w| is a "
           "uniformly random direction's first v coordinates"}};
}

inline nlohmann::json EntryJson(const codes::VerdictEntry& e) {
  nlohmann::json j = {{"user", e.user}, {"score", e.score}};
  if (e.evidence) j["evidence"] = *e.evidence;
  if (e.p_value) j["p_value"] = *e.p_value;
  if (e.share) j["share"] = *e.share;
  if (e.empirical_p_value) j["empirical_p_value"] = *e.empirical_p_value;
  return j;
}

inline constexpr Param<double> kFalseAccusation{
    "false_accusation", 0.01,
    "Probability that an investigation of an innocent model accuses anyone, when no "
    "calibration is given (with one: its own): the level of the provenance test, and "
    "times users that of each accusation.",
    Range{1e-300, 0.5}};

template <const char* kMethod, const char* kDoc>
class DetectorNode : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("2.0.1", kDoc, kCodebook, kBasis, kExtracted, kCalibration, kAccusation,
                           kCommunityBits, kTau, kMaxColluders, kFalseAccusation);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    SM_ASSIGN_OR_RETURN(codes::Extraction extraction, codes::ExtractionOf(ctx, codebook));
    std::optional<Calibration> calibration;
    if (ctx.Has(kCalibration)) {
      SM_ASSIGN_OR_RETURN(domain::Calibration doc, ctx.Get(kCalibration));
      SM_ASSIGN_OR_RETURN(calibration, CalibrationFromJson(doc, codebook));
    }
    codes::DecisionRule rule;
    rule.detector = kMethod;
    rule.tau = ctx.Get(kTau);
    rule.max_colluders = ctx.Get(kMaxColluders);
    rule.false_accusation = ctx.Get(kFalseAccusation);
    SM_ASSIGN_OR_RETURN(codes::Verdict v, codes::Decide(codebook, extraction, rule,
                                                        calibration ? &*calibration : nullptr));
    nlohmann::json out = {{"method", kMethod},
                          {"decided_by", v.decided_by},
                          {"provenance", ProvenanceJson(v)},
                          {"users", codebook.users()},
                          {"length", codebook.length()},
                          {"codebook", codebook.name()},
                          {"accused", nlohmann::json::array()}};
    if (v.decided_by == "identification") {
      out["signal_level"] = v.detection.signal_level;
      out["identification"] = {
          {"candidates", v.detection.accused.size()},
          {"per_user_level", v.per_user_level},
          {"dof", v.dof},
          {"whitened", v.whitened},
          {"test",
           "one-sided t of each candidate's code-word weight in a least-squares fit of the "
           "candidates' words, at the suspect's own residual noise"}};
    }
    for (const auto& e : v.accused) out["accused"].push_back(EntryJson(e));
    out["dismissed"] = nlohmann::json::array();
    for (const auto& e : v.dismissed) out["dismissed"].push_back(EntryJson(e));
    if (calibration) {
      out["calibration"] = {{"false_accusation", calibration->false_accusation},
                            {"per_user_level", calibration->per_user_level},
                            {"null_max", calibration->null.scores.back()},
                            {"null_models", calibration->null.models},
                            {"null_scores", calibration->null.scores.size()}};
    }
    if (codebook.is_prefixed())
      out["community"] = ScreenCommunities(codebook, extraction.identity, out["accused"]);
    ctx.Info(v.decided_by == "provenance"
                 ? "not shown to derive from this deployment (p " +
                       std::to_string(v.provenance->p_value) + "): nobody accused"
                 : std::to_string(out["accused"].size()) + " accused by " + std::string(kMethod) +
                       (calibration ? " (calibrated)" : ""));
    return ctx.Set(kAccusation, domain::Accusation(JsonDocument(out.dump())));
  }

 private:
  // The suspect's community code and the customers whose community code is nearest to it
  // (a coalition from one community keeps that community's code); every accused customer
  // gets their own community code beside it.
  static nlohmann::json ScreenCommunities(const codes::Codebook& codebook,
                                          const std::vector<double>& y, nlohmann::json& accused) {
    const codes::Codebook& prefix = codebook.parts()[0];
    auto code_of = [&](int64_t user) {
      std::string code;
      for (int64_t i = 0; i < prefix.length(); ++i) code += prefix.Bit(i, user) ? '1' : '0';
      return code;
    };
    std::string suspect;
    for (int64_t i = 0; i < prefix.length(); ++i) suspect += y[i] > 0 ? '1' : '0';
    int64_t nearest = prefix.length() + 1;
    std::vector<int64_t> members;
    for (int64_t u = 0; u < codebook.users(); ++u) {
      const std::string code = code_of(u);
      int64_t distance = 0;
      for (size_t i = 0; i < code.size(); ++i) distance += code[i] != suspect[i];
      if (distance < nearest) members.clear(), nearest = distance;
      if (distance == nearest) members.push_back(u);
    }
    for (auto& entry : accused) entry["community"] = code_of(entry["user"].get<int64_t>());
    return {{"code", suspect}, {"distance", nearest}, {"members", members}};
  }
};

}  // namespace securemark::detector
