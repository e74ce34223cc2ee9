#include "param_binder.h"

#include <nlohmann/json.hpp>

#include "securemark/suggestions.h"

namespace securemark {

void ParamBinder::Bind(const std::string& name,
                       StatusOr<ParamValue> (ParamSpec::*convert)(std::string_view) const,
                       std::string_view value, size_t source) {
  const ParamSpec* spec = contract_.FindParam(name);
  if (spec == nullptr) {
    std::vector<std::string> known;
    for (const auto& p : contract_.params()) known.push_back(p.name);
    problems_.push_back({source, "unknown parameter '" + name + "' for " + contract_.name() +
                                     DidYouMean(name, known)});
    return;
  }
  StatusOr<ParamValue> v = (spec->*convert)(value);
  if (!v.ok()) {
    problems_.push_back(
        {source, v.status().message() + " (" + contract_.name() + ": " + spec->doc + ")"});
    return;
  }
  given_[name] = *std::move(v);
}

void ParamBinder::BindJson(const std::string& name, std::string_view json, size_t source) {
  Bind(name, &ParamSpec::FromJson, json, source);
}

void ParamBinder::BindText(const std::string& name, std::string_view text, size_t source) {
  Bind(name, &ParamSpec::Parse, text, source);
}

void ParamBinder::BindJsonObject(std::string_view object, size_t source) {
  const nlohmann::json j = nlohmann::json::parse(object, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    problems_.push_back(
        {source, "parameters must be a JSON object, got: " + std::string(object.substr(0, 200))});
    return;
  }
  for (const auto& [name, value] : j.items()) BindJson(name, value.dump(), source);
}

StatusOr<ParamMap> ParamBinder::Finish() {
  // Fills in the defaults and names every required parameter left unset (the values given
  // are converted already, so that is all it can find).
  StatusOr<ParamMap> resolved = contract_.ResolveParams(given_);
  if (!resolved.ok()) problems_.push_back({kNoSource, resolved.status().message()});
  if (problems_.empty()) return resolved;
  std::string message;
  for (const Problem& p : problems_) message += (message.empty() ? "" : "; ") + p.message;
  return InvalidArgumentError(message);
}

}  // namespace securemark
