#include "split/split_config.h"

#include <cmath>

namespace securemark::split {
namespace {

using nlohmann::json;

Status Missing(const std::string& field, const std::string& expected) {
  return InvalidArgumentError("split config: '" + field + "' must be " + expected);
}

Status Integer(const json& j, const std::string& field, int64_t low, int64_t high, int64_t& out) {
  if (!j.contains(field) || !j[field].is_number_integer()) return Missing(field, "an integer");
  out = j[field].get<int64_t>();
  if (out < low || out > high)
    return Missing(field, "in [" + std::to_string(low) + ", " + std::to_string(high) + "], not " +
                              std::to_string(out));
  return OkStatus();
}

Status Real(const json& j, const std::string& field, double low, double high, double& out) {
  if (!j.contains(field) || !j[field].is_number()) return Missing(field, "a number");
  out = j[field].get<double>();
  if (!std::isfinite(out) || out < low || out > high)
    return Missing(
        field, "a finite number in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  return OkStatus();
}

Status Text(const json& j, const std::string& field, std::string& out) {
  if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty())
    return Missing(field, "a non-empty string");
  out = j[field].get<std::string>();
  return OkStatus();
}

}  // namespace

json SplitConfig::ToJson() const {
  return {{"architecture", architecture},
          {"split_after", split_after},
          {"channels", channels},
          {"height", height},
          {"width", width},
          {"classes", classes},
          {"batch", batch},
          {"lr", lr},
          {"momentum", momentum},
          {"seed", seed},
          {"sync_every", sync_every},
          {"rounds", rounds},
          {"pipeline", pipeline}};
}

StatusOr<SplitConfig> SplitConfig::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgumentError("split config: not a JSON object");
  SplitConfig c;
  SM_RETURN_IF_ERROR(Text(j, "architecture", c.architecture));
  SM_RETURN_IF_ERROR(Text(j, "split_after", c.split_after));
  SM_RETURN_IF_ERROR(Integer(j, "channels", 1, 16, c.channels));
  SM_RETURN_IF_ERROR(Integer(j, "height", 1, 4096, c.height));
  SM_RETURN_IF_ERROR(Integer(j, "width", 1, 4096, c.width));
  SM_RETURN_IF_ERROR(Integer(j, "classes", 2, 100000, c.classes));
  SM_RETURN_IF_ERROR(Integer(j, "batch", 1, 65536, c.batch));
  SM_RETURN_IF_ERROR(Real(j, "lr", 0, 10, c.lr));
  SM_RETURN_IF_ERROR(Real(j, "momentum", 0, 0.999, c.momentum));
  SM_RETURN_IF_ERROR(Integer(j, "seed", INT64_MIN, INT64_MAX, c.seed));
  SM_RETURN_IF_ERROR(Integer(j, "sync_every", 1, 1000000000, c.sync_every));
  SM_RETURN_IF_ERROR(Integer(j, "rounds", 0, 1000000000000, c.rounds));
  if (!j.contains("pipeline") || !j["pipeline"].is_boolean())
    return Missing("pipeline", "true or false");
  c.pipeline = j["pipeline"].get<bool>();
  return c;
}

}  // namespace securemark::split
