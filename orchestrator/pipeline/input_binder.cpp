#include "pipeline/input_binder.h"

#include <algorithm>

#include "pipeline/references.h"
#include "securemark/suggestions.h"
#include "securemark/typed.h"

namespace securemark::pipeline {
namespace {

using nlohmann::json;

std::string Suggest(const std::string& word, const std::vector<std::string>& known) {
  return DidYouMean(word, known);
}

}  // namespace

std::vector<std::string> InputBinder::StepIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, info] : steps_) ids.push_back(id);
  return ids;
}

// The contract of a party of a multi-party step, for references step.party/output.
const Contract* InputBinder::PartyContract(const StepInfo& step, const std::string& party,
                                           const Location& at) {
  std::vector<std::string> names;
  for (const PartySpec& p : step.spec->parties) {
    if (p.name == party) {
      StatusOr<const LoadedPlugin*> plugin = catalog_.Find(p.uses);
      return plugin.ok() ? &(*plugin)->contract() : nullptr;  // else reported already
    }
    names.push_back(p.name);
  }
  error_(at, "step '" + step.spec->id + "' has no party '" + party + "'" +
                 (names.empty() ? std::string(" (it is not a multi-party step)")
                                : Suggest(party, names)));
  return nullptr;
}

// How the runner records a party's output: the first party (the listener) under the
// plain port name, the others as "owner@3/port", one per party instance.
std::vector<std::string> InputBinder::PartyOutputNames(const std::string& key,
                                                       const std::string& party,
                                                       const std::string& port) const {
  if (party.empty()) return {port};
  std::vector<std::string> names;
  for (const Instance& source : instances_) {
    if (source.key != key) continue;
    for (size_t i = 0; i < source.parties.size(); ++i) {
      if (source.parties[i].role != party) continue;
      names.push_back(i == 0 ? port : source.parties[i].name + "/" + port);
    }
  }
  return names;
}

// The input an `inputs` key names: "port" of the step's plugin (of a multi-party step,
// its first party), or "party/port" of another party of a multi-party step.
// `key` becomes the binding's name: "port" for the first party, else "party/port".
const PortSpec* InputBinder::InputPort(const StepInfo& info, const InputSpec& in,
                                       std::string& key) {
  const Contract* contract = info.contract;
  std::string port_name = in.port;
  key = in.port;
  if (const size_t slash = in.port.find('/'); slash != std::string::npos) {
    const std::string party = in.port.substr(0, slash);
    contract = PartyContract(info, party, in.at);
    if (contract == nullptr) return nullptr;
    port_name = in.port.substr(slash + 1);
    if (party == info.spec->parties.front().name) key = port_name;
  }
  const PortSpec* port = contract->FindInput(port_name);
  if (port == nullptr) {
    std::vector<std::string> ports;
    for (const auto& p : contract->inputs()) ports.push_back(p.name);
    error_(in.at,
           contract->name() + " has no input '" + port_name + "'" + Suggest(port_name, ports));
  }
  return port;
}

// Every required input of every party is connected ("party/port" for the others).
void InputBinder::CheckRequiredInputs(const StepInfo& info, const std::set<std::string>& bound) {
  std::vector<std::pair<std::string, const Contract*>> contracts = {{"", info.contract}};
  for (size_t i = 1; i < info.spec->parties.size(); ++i) {
    StatusOr<const LoadedPlugin*> plugin = catalog_.Find(info.spec->parties[i].uses);
    if (plugin.ok())
      contracts.emplace_back(info.spec->parties[i].name + "/", &(*plugin)->contract());
  }
  for (const auto& [prefix, contract] : contracts) {
    for (const auto& port : contract->inputs()) {
      if (!port.optional() && !port.many() && !bound.count(prefix + port.name)) {
        error_(info.spec->at, "step '" + info.spec->id + "': required input '" + prefix +
                                  port.name + "' (" + port.type + ") of " + contract->name() +
                                  " is not connected");
      }
    }
  }
}

void InputBinder::Bind(const StepInfo& info, const Scope& scope, Instance& instance) {
  std::set<std::string> bound;
  for (const InputSpec& in : info.spec->inputs) {
    std::string key;
    const PortSpec* port = InputPort(info, in, key);
    if (port == nullptr) continue;
    if (!bound.insert(key).second) {
      error_(in.at, "input '" + key + "' is connected twice");
      continue;
    }
    InputBinding binding{key, {}};
    size_t values = 0;  // how many values the references give, at most
    bool unbounded = false;
    // An expression may give a list of references (a template's "${{ params.models }}").
    std::vector<std::pair<json, Location>> refs;
    bool unresolved = false;
    for (const Value& ref_value : in.refs) {
      StatusOr<json> text = Resolve(ref_value.json, scope);
      if (!text.ok()) {
        error_(ref_value.at, text.status().message());
        unresolved = true;
      } else if (text->is_array() && HasExpression(ref_value.json)) {
        for (const json& one : *text) refs.emplace_back(one, ref_value.at);
      } else {
        refs.emplace_back(*text, ref_value.at);
      }
    }
    if (refs.empty() && !unresolved) {  // an empty list: the input is not connected
      bound.erase(key);
      continue;
    }
    for (const auto& [resolved, ref_at] : refs) {
      const Value ref_value{resolved, ref_at};
      const json* text = &resolved;
      if (!text->is_string()) {
        error_(ref_value.at, "an input reference must be a string, not " + text->dump());
        continue;
      }
      if (std::optional<int64_t> stored = ParseArtifactRef(text->get<std::string>())) {
        // Checked against the store (present, LIVE, of the port's type) when the run starts.
        SourceRef s;
        s.artifact = *stored;
        binding.sources.push_back(s);
        ++values;
        continue;
      }
      std::optional<ParsedRef> ref = ParseRef(text->get<std::string>());
      if (!ref) {
        error_(ref_value.at,
               "input reference '" + text->get<std::string>() +
                   "' is not of the form step.output, step[*].output, "
                   "step@key.output, step.output[N], step.party/output or artifact:ID");
        continue;
      }
      auto source = steps_.find(ref->step);
      if (source == steps_.end()) {
        error_(ref_value.at, "input '" + in.port + "' refers to unknown step '" + ref->step + "'" +
                                 Suggest(ref->step, StepIds()));
        continue;
      }
      if (source->second.contract == nullptr) continue;  // its plugin error is reported
      const Contract* source_contract = source->second.contract;
      std::string party, port_name = ref->output;
      if (const size_t slash = ref->output.find('/'); slash != std::string::npos) {
        party = ref->output.substr(0, slash);
        port_name = ref->output.substr(slash + 1);
        source_contract = PartyContract(source->second, party, ref_value.at);
        if (source_contract == nullptr) continue;
      }
      const PortSpec* output = source_contract->FindOutput(port_name);
      if (output == nullptr) {
        std::vector<std::string> outs;
        for (const auto& o : source_contract->outputs()) outs.push_back(o.name);
        error_(ref_value.at, "step '" + ref->step + "' (" + source_contract->name() +
                                 ") has no output '" + port_name + "'" + Suggest(port_name, outs));
        continue;
      }
      if (!PortTypeAccepts(port->type, output->type)) {
        error_(ref_value.at, "input '" + in.port + "' expects " + port->type + " but '" +
                                 text->get<std::string>() + "' is " + output->type);
        continue;
      }
      if (ref->index && !output->many()) {
        error_(ref_value.at, "output '" + ref->output + "' of step '" + ref->step +
                                 "' is a single value; it cannot be indexed");
        continue;
      }
      std::vector<std::string> instances;
      const StepInfo& src = source->second;
      if (src.foreach) {
        if (ref->all_instances) {
          instances = src.keys;
        } else if (ref->key) {
          std::string key = ref->step + "@" + *ref->key;
          if (std::find(src.keys.begin(), src.keys.end(), key) == src.keys.end()) {
            error_(ref_value.at, "step '" + ref->step + "' has no instance '" + key + "'");
            continue;
          }
          instances = {key};
        } else {
          error_(ref_value.at, "step '" + ref->step + "' runs once per foreach item; use " +
                                   ref->step + "[*]." + ref->output + " for all or " + ref->step +
                                   "@KEY." + ref->output + " for one");
          continue;
        }
      } else {
        if (ref->all_instances || ref->key) {
          error_(ref_value.at, "step '" + ref->step + "' has no foreach; refer to it as " +
                                   ref->step + "." + ref->output);
          continue;
        }
        instances = {ref->step};
      }
      for (const std::string& key : instances) {
        const std::vector<std::string> names = PartyOutputNames(key, party, port_name);
        if (names.empty()) {
          error_(ref_value.at, "party outputs of step '" + ref->step +
                                   "' can be referred to only from steps after it");
        }
        for (const std::string& name : names) {
          SourceRef s{key, name, ref->index, output->many() && !ref->index, std::nullopt};
          unbounded |= s.all_values;
          binding.sources.push_back(s);
          ++values;
        }
        instance.depends_on.push_back(key);
      }
    }
    if (!port->many() && (values > 1 || unbounded)) {
      error_(in.at, "input '" + in.port + "' takes one " + port->type +
                        " but its references give several; name one value (step.output[N] or "
                        "step@KEY.output)");
      continue;
    }
    instance.inputs.push_back(std::move(binding));
  }
  CheckRequiredInputs(info, bound);
}

}  // namespace securemark::pipeline
