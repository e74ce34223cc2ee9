// Which parameter values a store, a log or a report may show.
//
// A plugin declares a parameter secret (Param::Secret) when its value would let someone
// redraw secret material, e.g. an explicit seed of a key. Such a value is sent to the
// plugin but never recorded: executions show "(secret)" in its place, and the cache
// tells values apart by a digest keyed with the store's own secret. A parameter declared
// Param::FreshSecret and left at its default draws fresh secrets from the operating
// system, so the step's cache entry belongs to one step of one pipeline: two deployments
// never share a key by accident, and re-running one reuses its own.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/spec.h"
#include "securemark/contract.h"

namespace securemark::pipeline {

inline constexpr char kSecretShown[] = "(secret)";

struct ParamRecord {
  std::string shown_json;      // canonical JSON; explicit secret values as "(secret)"
  std::string secret_json;     // canonical JSON of the explicit secret values; "" if none
  bool fresh_secrets = false;  // a FreshSecret parameter was left at its default
};

ParamRecord RecordParams(const Contract& contract, const ParamMap& params);

// Adds to `out` the pipeline params that the secret parameters in `with` read, directly
// or through the items of `foreach`.
void CollectSecretPipelineParams(const Contract& contract, const std::map<std::string, Value>& with,
                                 const std::optional<Value>& foreach, std::set<std::string>& out);

// `params` with the values of `secret` names replaced by "(secret)".
nlohmann::json RedactParams(const nlohmann::json& params, const std::set<std::string>& secret);

}  // namespace securemark::pipeline
