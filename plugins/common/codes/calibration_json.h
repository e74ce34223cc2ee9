// The calibration document calibration.null_models writes and the detectors read: known
// innocents' stage-2 t-statistics on null models for one codebook, and the stated
// false-accusation probability.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "codes/calibration.h"
#include "codes/codebook.h"
#include "securemark/values.h"

namespace securemark::codes {

// What the null scores are; a calibration of another statistic is refused.
inline constexpr const char* kStatistic = "candidate t (code-word weight over its standard error)";

inline nlohmann::json CalibrationToJson(const Calibration& c, const Codebook& codebook) {
  return {{"statistic", kStatistic},
          {"codebook", codebook.name()},
          {"users", codebook.users()},
          {"length", codebook.length()},
          {"false_accusation", c.false_accusation},
          {"per_user_level", c.per_user_level},
          {"null_max", c.null.scores.back()},
          {"null_models", c.null.models},
          {"null_mean", c.null.mean},
          {"null_sd", c.null.sd},
          {"null_scores", c.null.scores}};
}

// Reads a calibration and checks it was made for this codebook.
inline StatusOr<Calibration> CalibrationFromJson(const JsonDocument& doc,
                                                 const Codebook& codebook) {
  const nlohmann::json j = nlohmann::json::parse(doc.text(), nullptr, false);
  const char* fields[] = {"statistic",        "codebook",    "users",
                          "false_accusation", "null_models", "null_scores"};
  for (const char* f : fields) {
    if (!j.is_object() || !j.contains(f)) {
      return InvalidArgumentError(std::string("input 'calibration' has no field '") + f +
                                  "'; expected a calibration.null_models output");
    }
  }
  if (j["statistic"] != kStatistic) {
    return InvalidArgumentError("input 'calibration' holds scores of " + j["statistic"].dump() +
                                ", not of " + kStatistic + "; re-run calibration.null_models");
  }
  if (j["codebook"] != codebook.name() || j["users"] != codebook.users()) {
    return InvalidArgumentError("input 'calibration' was made for codebook " +
                                j["codebook"].dump() + " with " + j["users"].dump() +
                                " users, not " + codebook.name() + " with " +
                                std::to_string(codebook.users()));
  }
  try {
    SM_ASSIGN_OR_RETURN(NullCalibration null, FitNull(j["null_scores"].get<std::vector<double>>(),
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

}  // namespace securemark::codes
