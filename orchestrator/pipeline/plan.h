// A validated pipeline expanded into instances ("step" or "step@key") in dependency order,
// each with resolved parameters and inputs bound to other instances' outputs.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/secret_params.h"
#include "pipeline/spec.h"
#include "securemark/contract.h"

namespace securemark {
class LoadedPlugin;
}

namespace securemark::pipeline {

// One source of an input: an output of another instance, all of its values or one, or
// an artifact already in the store ("artifact:ID"; instance and output are then empty).
struct SourceRef {
  std::string instance;
  std::string output;
  std::optional<size_t> index;  // for kMany outputs: one element
  bool all_values = false;      // a kMany output taken whole
  std::optional<int64_t> artifact;
};

struct InputBinding {
  std::string port;
  std::vector<SourceRef> sources;  // in order; fan-in and kMany outputs expand at run time
};

struct PartyInstance {
  std::string name;  // "server", "owner@3"
  std::string role;  // "owner"
  int index = 0;     // among the parties of this role
  int count = 1;
  const LoadedPlugin* plugin = nullptr;
  ParamMap params;
  std::string params_json;  // what the plugin is sent, secrets included
  ParamRecord record;       // what may be shown and cached (pipeline/secret_params.h)
};

struct Instance {
  std::string key;       // "embed@3"
  std::string step_id;   // "embed"
  std::string item_key;  // "3", empty outside foreach
  const LoadedPlugin* plugin = nullptr;
  ParamMap params;
  std::string params_json;  // canonical JSON of the resolved parameters, secrets included
  // What the store records and the cache sees; for a multi-party step, every party's.
  ParamRecord record;
  // Set when the step draws fresh secrets: the pipeline and step they belong to.
  std::string fresh_secrets_of;
  std::vector<InputBinding> inputs;
  std::vector<std::string> depends_on;  // instance keys
  RuntimeSpec runtime;
  Location at;
  std::vector<PartyInstance> parties;
};

struct Plan {
  std::string pipeline;
  nlohmann::json params;
  std::set<std::string> secret_params;  // pipeline params a secret plugin parameter reads
  std::vector<Instance> instances;      // dependencies before dependents

  const Instance* Find(const std::string& key) const;
};

}  // namespace securemark::pipeline
