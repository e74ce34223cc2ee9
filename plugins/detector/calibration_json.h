// The calibration document calibration.null_models writes and the detectors read: the
// null distribution of evidence for one codebook, the stated false-accusation probability
// and the evidence threshold it implies.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "codes/calibration.h"
#include "codes/codebook.h"
#include "securemark/values.h"

namespace securemark::detector {

struct Calibration {
  codes::NullCalibration null;
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

inline Calibration MakeCalibration(codes::NullCalibration null, double false_accusation,
                                   int64_t users) {
  Calibration c{std::move(null), false_accusation, false_accusation / users, 0};
  c.threshold = codes::ThresholdFor(c.null, c.per_user_level);
  return c;
}

inline nlohmann::json CalibrationToJson(const Calibration& c, const codes::Codebook& codebook) {
  return {{"statistic", "block margin over noise"},
          {"codebook", codebook.name()},
          {"users", codebook.users()},
          {"length", codebook.length()},
          {"false_accusation", c.false_accusation},
          {"per_user_level", c.per_user_level},
          {"threshold", c.threshold},
          {"null_models", c.null.models},
          {"null_mean", c.null.mean},
          {"null_sd", c.null.sd},
          {"null_scores", c.null.scores}};
}

// Reads a calibration and checks it was made for this codebook.
inline StatusOr<Calibration> CalibrationFromJson(const JsonDocument& doc,
                                                 const codes::Codebook& codebook) {
  const nlohmann::json j = nlohmann::json::parse(doc.text(), nullptr, false);
  const char* fields[] = {"codebook", "users", "false_accusation", "null_models", "null_scores"};
  for (const char* f : fields) {
    if (!j.is_object() || !j.contains(f)) {
      return InvalidArgumentError(std::string("input 'calibration' has no field '") + f +
                                  "'; expected a calibration.null_models output");
    }
  }
  if (j["codebook"] != codebook.name() || j["users"] != codebook.users()) {
    return InvalidArgumentError("input 'calibration' was made for codebook " +
                                j["codebook"].dump() + " with " + j["users"].dump() +
                                " users, not " + codebook.name() + " with " +
                                std::to_string(codebook.users()));
  }
  try {
    SM_ASSIGN_OR_RETURN(codes::NullCalibration null,
                        codes::FitNull(j["null_scores"].get<std::vector<double>>(),
                                       j["null_models"].get<int64_t>()));
    const double alpha = j["false_accusation"].get<double>();
    if (!(alpha > 0 && alpha < 1)) {
      return InvalidArgumentError("input 'calibration': false_accusation must lie in (0, 1)");
    }
    return MakeCalibration(std::move(null), alpha, codebook.users());
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("input 'calibration': ") + e.what());
  }
}

}  // namespace securemark::detector
