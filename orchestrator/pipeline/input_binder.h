// Binding a step's `inputs` to the outputs of the steps they name: each reference is
// checked (the step, the instance, the party, the port, the type, single or many) and
// reported where it is written, with the known names suggested.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loader/plugin_catalog.h"
#include "pipeline/expressions.h"
#include "pipeline/plan.h"
#include "pipeline/spec.h"

namespace securemark::pipeline {

struct StepInfo {
  const StepSpec* spec = nullptr;
  const LoadedPlugin* plugin = nullptr;  // null for multi-party steps
  bool foreach = false;
  std::vector<nlohmann::json> items;
  std::vector<std::string> keys;  // instance keys
  std::vector<std::string> item_keys;

  // Outputs a reference can name: the plugin's, or for multi-party steps the first party's.
  const Contract* contract = nullptr;
};

class InputBinder {
 public:
  using ReportError = std::function<void(const Location&, const std::string&)>;
  InputBinder(const PluginCatalog& catalog, const std::map<std::string, StepInfo>& steps,
              const std::vector<Instance>& instances, ReportError error)
      : catalog_(catalog), steps_(steps), instances_(instances), error_(std::move(error)) {}

  // Adds the step's input bindings and dependencies to `instance`.
  void Bind(const StepInfo& info, const Scope& scope, Instance& instance);

  // The contract of a party of a multi-party step, for references step.party/output.
  const Contract* PartyContract(const StepInfo& step, const std::string& party, const Location& at);

 private:
  std::vector<std::string> PartyOutputNames(const std::string& key, const std::string& party,
                                            const std::string& port) const;
  const PortSpec* InputPort(const StepInfo& info, const InputSpec& in, std::string& key);
  void CheckRequiredInputs(const StepInfo& info, const std::set<std::string>& bound);
  std::vector<std::string> StepIds() const;

  const PluginCatalog& catalog_;
  const std::map<std::string, StepInfo>& steps_;
  const std::vector<Instance>& instances_;
  ReportError error_;
};

}  // namespace securemark::pipeline
