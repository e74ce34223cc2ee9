#include "pipeline/secret_params.h"

#include <regex>

namespace securemark::pipeline {

using nlohmann::json;

namespace {

std::string Canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void ParamNamesIn(const json& value, std::set<std::string>& out) {
  static const std::regex kParamRef(R"(params\.([A-Za-z_][A-Za-z0-9_]*))");
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  for (std::sregex_iterator it(text.begin(), text.end(), kParamRef), end; it != end; ++it) {
    out.insert((*it)[1].str());
  }
}

}  // namespace

ParamRecord RecordParams(const Contract& contract, const ParamMap& params) {
  json shown = json::object(), secret = json::object();
  ParamRecord record;
  for (const auto& [name, value] : params) {
    const json j = json::parse(ParamValueToJson(value));
    const ParamSpec* spec = contract.FindParam(name);
    if (spec == nullptr || !spec->secret) {
      shown[name] = j;
    } else if (spec->default_value && *spec->default_value == value) {
      shown[name] = j;
      record.fresh_secrets |= spec->fresh_by_default;
    } else {
      shown[name] = kSecretShown;
      secret[name] = j;
    }
  }
  record.shown_json = Canonical(shown);
  if (!secret.empty()) record.secret_json = Canonical(secret);
  return record;
}

void CollectSecretPipelineParams(const Contract& contract, const std::map<std::string, Value>& with,
                                 const std::optional<Value>& foreach, std::set<std::string>& out) {
  for (const auto& [name, value] : with) {
    const ParamSpec* spec = contract.FindParam(name);
    if (spec == nullptr || !spec->secret) continue;
    ParamNamesIn(value.json, out);
    // A value read from the items may come from any param the items are made of.
    if (foreach && value.json.dump().find("item") != std::string::npos) {
      ParamNamesIn(foreach->json, out);
    }
  }
}

json RedactParams(const json& params, const std::set<std::string>& secret) {
  json out = params;
  if (!out.is_object()) return out;
  for (const std::string& name : secret) {
    if (out.contains(name)) out[name] = kSecretShown;
  }
  return out;
}

}  // namespace securemark::pipeline
