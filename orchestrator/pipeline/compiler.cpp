#include "pipeline/compiler.h"

#include "param_binder.h"

#include <functional>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "pipeline/expressions.h"
#include "pipeline/parser.h"
#include "pipeline/references.h"
#include "securemark/suggestions.h"
#include "securemark/typed.h"

namespace securemark::pipeline {
namespace {

using nlohmann::json;

const std::regex kStepId("^[A-Za-z][A-Za-z0-9_-]*$");
// A --set value read as YAML, so that lists and mappings can be given too
// (--set 'coalitions=[{name: a, k: 2}]'); text that is not YAML stays a string.
json ValueFromText(const std::string& text) {
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsScalar() && node.Tag() != "!") return YamlToJson(node);
    if (node.IsSequence() || node.IsMap()) return YamlToJson(node);
  } catch (const YAML::Exception&) {
  }
  return text;
}

std::string Suggest(const std::string& word, const std::vector<std::string>& known) {
  return DidYouMean(word, known);
}

struct StepInfo {
  const StepSpec* spec = nullptr;
  const LoadedPlugin* plugin = nullptr;  // null for multi-party steps
  bool foreach = false;
  std::vector<json> items;
  std::vector<std::string> keys;  // instance keys
  std::vector<std::string> item_keys;

  // Outputs a reference can name: the plugin's, or for multi-party steps the first party's.
  const Contract* contract = nullptr;
};

class Compiler {
 public:
  Compiler(const PipelineSpec& spec, const PluginCatalog& catalog,
           const std::map<std::string, std::string>& overrides)
      : spec_(spec), catalog_(catalog), overrides_(overrides) {}

  CompileResult Run() {
    CompileResult result;
    result.plan.pipeline = spec_.name;
    ResolvePipelineParams();
    CollectSteps();
    CheckCycles();
    if (!WithinSizeLimit()) {
      result.diagnostics = std::move(diagnostics_);
      return result;
    }
    // Expansion does not need an acyclic graph, and it finds the remaining errors.
    for (const StepSpec& step : spec_.steps) {
      auto it = steps_.find(step.id);
      if (it == steps_.end() || it->second.spec != &step) continue;  // duplicate id
      ExpandStep(it->second);
    }
    result.plan.instances = OrderInstances(std::move(instances_));
    result.plan.params = params_;
    result.plan.secret_params = secret_pipeline_params_;
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return std::tie(a.at.file, a.at.line, a.at.column) <
                              std::tie(b.at.file, b.at.line, b.at.column);
                     });
    result.diagnostics = std::move(diagnostics_);
    return result;
  }

 private:
  void Error(const Location& at, const std::string& message) {
    if (reported_.insert(at.ToString() + message).second) diagnostics_.push_back({at, message});
  }

  void ResolvePipelineParams() {
    params_ = json::object();
    for (const auto& [name, value] : spec_.params) {
      if (HasExpression(value.json)) {
        Error(value.at, "pipeline parameter '" + name + "' cannot use ${{ }} expressions");
      }
      params_[name] = value.json;
    }
    std::vector<std::string> known;
    for (const auto& [name, v] : spec_.params) known.push_back(name);
    for (const auto& [name, text] : overrides_) {
      if (!spec_.params.count(name)) {
        Error({"<command line>", 0, 0}, "--set " + name + ": the pipeline declares no parameter '" +
                                            name + "'" + Suggest(name, known));
        continue;
      }
      params_[name] = ValueFromText(text);
    }
  }

  // `uses` may name the plugin through the pipeline's parameters ("${{ params.detector }}"),
  // so that a template runs whichever plugin its caller chose; it is resolved before the
  // contract is looked up, so the rest of the step is checked against that plugin.
  const LoadedPlugin* FindPlugin(const std::string& uses, const Location& at) {
    std::string name = uses;
    if (HasExpression(json(uses))) {
      StatusOr<json> resolved = Resolve(json(uses), Scope{&params_, nullptr});
      if (!resolved.ok() || !resolved->is_string()) {
        Error(at, resolved.ok() ? "'uses' must give a plugin name, not " + resolved->dump()
                                : resolved.status().message());
        return nullptr;
      }
      name = resolved->get<std::string>();
    }
    StatusOr<const LoadedPlugin*> plugin = catalog_.Find(name);
    if (!plugin.ok()) {
      Error(at, plugin.status().message());
      return nullptr;
    }
    return *plugin;
  }

  // Expanding a pipeline of millions of instances would exhaust memory before it could run.
  bool WithinSizeLimit() {
    size_t total = 0;
    const StepInfo* largest = nullptr;
    for (const auto& [id, info] : steps_) {
      total += info.keys.size();
      if (largest == nullptr || info.keys.size() > largest->keys.size()) largest = &info;
    }
    if (total <= kMaxInstances) return true;
    Error(largest->spec->at, "the pipeline expands to " + std::to_string(total) +
                                 " step instances (step '" + largest->spec->id + "' alone has " +
                                 std::to_string(largest->keys.size()) + "); at most " +
                                 std::to_string(kMaxInstances) + " are allowed");
    return false;
  }

  void CollectSteps() {
    std::map<std::string, const StepSpec*> first;
    for (const StepSpec& step : spec_.steps) {
      if (step.id.empty()) continue;  // already reported by the parser
      if (!std::regex_match(step.id, kStepId)) {
        Error(step.id_at, "step id '" + step.id +
                              "' must start with a letter and use only letters, "
                              "digits, '_' and '-'");
      }
      if (auto it = first.find(step.id); it != first.end()) {
        Error(step.id_at, "duplicate step id '" + step.id + "' (first defined at " +
                              it->second->id_at.ToString() + ")");
        continue;
      }
      first[step.id] = &step;
      StepInfo info;
      info.spec = &step;
      if (!step.parties.empty()) {
        if (!step.uses.empty())
          Error(step.uses_at, "a step with parties takes 'uses' per party, not for the step");
        for (const PartySpec& party : step.parties) {
          const LoadedPlugin* p = FindPlugin(party.uses, party.uses_at);
          if (p != nullptr && info.contract == nullptr) info.contract = &p->contract();
        }
      } else if (!step.uses.empty()) {
        info.plugin = FindPlugin(step.uses, step.uses_at);
        if (info.plugin != nullptr) info.contract = &info.plugin->contract();
      }
      if (step.foreach) {
        info.foreach = true;
        Scope scope{&params_, nullptr};
        StatusOr<std::vector<json>> items = ForeachItems(step.foreach->json, scope);
        if (!items.ok()) {
          Error(step.foreach->at, items.status().message());
        } else {
          std::set<std::string> seen;
          for (const json& item : *items) {
            std::string key = ItemKey(item);
            if (!seen.insert(key).second) {
              Error(step.foreach->at,
                    "foreach item '" + key + "' appears twice; instance names must be unique");
              continue;
            }
            info.items.push_back(item);
            info.item_keys.push_back(key);
            info.keys.push_back(step.id + "@" + key);
          }
        }
      } else {
        info.keys.push_back(step.id);
        info.item_keys.push_back("");
        info.items.push_back(nullptr);
      }
      steps_[step.id] = std::move(info);
    }
  }

  std::vector<std::string> StepIds() const {
    std::vector<std::string> ids;
    for (const auto& [id, info] : steps_) ids.push_back(id);
    return ids;
  }

  // Step-level dependency graph from references and needs; reports each cycle once.
  void CheckCycles() {
    std::map<std::string, std::vector<std::string>> deps;
    for (const auto& [id, info] : steps_) {
      for (const InputSpec& in : info.spec->inputs) {
        for (const Value& ref : in.refs) {
          if (ref.json.is_string()) {
            std::string step = RefStep(ref.json.get<std::string>());
            if (steps_.count(step)) deps[id].push_back(step);
          }
        }
      }
      for (const auto& [need, at] : info.spec->needs) {
        if (steps_.count(need)) deps[id].push_back(need);
      }
    }
    std::map<std::string, int> color;  // 0 new, 1 on stack, 2 done
    std::vector<std::string> stack;
    std::function<void(const std::string&)> visit = [&](const std::string& id) {
      color[id] = 1;
      stack.push_back(id);
      for (const std::string& dep : deps[id]) {
        if (color[dep] == 1) {
          auto start = std::find(stack.begin(), stack.end(), dep);
          std::string cycle;
          for (auto it = start; it != stack.end(); ++it) cycle += *it + " -> ";
          Error(steps_[dep].spec->id_at, "steps form a cycle: " + cycle + dep);
        } else if (color[dep] == 0) {
          visit(dep);
        }
      }
      stack.pop_back();
      color[id] = 2;
    };
    for (const StepSpec& step : spec_.steps) {
      if (steps_.count(step.id) && color[step.id] == 0) visit(step.id);
    }
  }

  // Resolves `with` values and binds them to a contract (defaults filled in); each problem
  // is reported where its value is, or at the step for the contract's own.
  std::optional<ParamMap> CheckParams(const Contract& contract,
                                      const std::map<std::string, Value>& with, const Scope& scope,
                                      const Location& owner_at, const std::string& owner) {
    ParamBinder binder(contract);
    std::vector<Location> where;
    bool ok = true;
    for (const auto& [name, value] : with) {
      StatusOr<json> resolved = Resolve(value.json, scope);
      if (!resolved.ok()) {
        Error(value.at, resolved.status().message());
        ok = false;
        continue;
      }
      where.push_back(value.at);
      binder.BindJson(name, resolved->dump(-1, ' ', false, json::error_handler_t::replace),
                      where.size() - 1);
    }
    StatusOr<ParamMap> bound = binder.Finish();
    for (const ParamBinder::Problem& p : binder.problems()) {
      if (p.source == ParamBinder::kNoSource) {
        Error(owner_at, owner + ": " + p.message);
      } else {
        Error(where[p.source], p.message);
      }
    }
    if (!ok || !bound.ok()) return std::nullopt;
    return *bound;
  }

  static std::string CanonicalJson(const ParamMap& params) {
    json j = json::object();
    for (const auto& [k, v] : params) j[k] = json::parse(ParamValueToJson(v));
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  // The contract of a party of a multi-party step, for references step.party/output.
  const Contract* PartyContract(const StepInfo& step, const std::string& party,
                                const Location& at) {
    std::vector<std::string> names;
    for (const PartySpec& p : step.spec->parties) {
      if (p.name == party) {
        StatusOr<const LoadedPlugin*> plugin = catalog_.Find(p.uses);
        return plugin.ok() ? &(*plugin)->contract() : nullptr;  // else reported already
      }
      names.push_back(p.name);
    }
    Error(at, "step '" + step.spec->id + "' has no party '" + party + "'" +
                  (names.empty() ? std::string(" (it is not a multi-party step)")
                                 : Suggest(party, names)));
    return nullptr;
  }

  // How the runner records a party's output: the first party (the listener) under the
  // plain port name, the others as "owner@3/port", one per party instance.
  std::vector<std::string> PartyOutputNames(const std::string& key, const std::string& party,
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
  const PortSpec* InputPort(const StepInfo& info, const InputSpec& in, std::string& key) {
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
      Error(in.at,
            contract->name() + " has no input '" + port_name + "'" + Suggest(port_name, ports));
    }
    return port;
  }

  // Every required input of every party is connected ("party/port" for the others).
  void CheckRequiredInputs(const StepInfo& info, const std::set<std::string>& bound) {
    std::vector<std::pair<std::string, const Contract*>> contracts = {{"", info.contract}};
    for (size_t i = 1; i < info.spec->parties.size(); ++i) {
      StatusOr<const LoadedPlugin*> plugin = catalog_.Find(info.spec->parties[i].uses);
      if (plugin.ok())
        contracts.emplace_back(info.spec->parties[i].name + "/", &(*plugin)->contract());
    }
    for (const auto& [prefix, contract] : contracts) {
      for (const auto& port : contract->inputs()) {
        if (!port.optional() && !port.many() && !bound.count(prefix + port.name)) {
          Error(info.spec->at, "step '" + info.spec->id + "': required input '" + prefix +
                                   port.name + "' (" + port.type + ") of " + contract->name() +
                                   " is not connected");
        }
      }
    }
  }

  void BindInputs(const StepInfo& info, const Scope& scope, Instance& instance) {
    std::set<std::string> bound;
    for (const InputSpec& in : info.spec->inputs) {
      std::string key;
      const PortSpec* port = InputPort(info, in, key);
      if (port == nullptr) continue;
      if (!bound.insert(key).second) {
        Error(in.at, "input '" + key + "' is connected twice");
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
          Error(ref_value.at, text.status().message());
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
          Error(ref_value.at, "an input reference must be a string, not " + text->dump());
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
          Error(ref_value.at,
                "input reference '" + text->get<std::string>() +
                    "' is not of the form step.output, step[*].output, "
                    "step@key.output, step.output[N], step.party/output or artifact:ID");
          continue;
        }
        auto source = steps_.find(ref->step);
        if (source == steps_.end()) {
          Error(ref_value.at, "input '" + in.port + "' refers to unknown step '" + ref->step + "'" +
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
          Error(ref_value.at, "step '" + ref->step + "' (" + source_contract->name() +
                                  ") has no output '" + port_name + "'" + Suggest(port_name, outs));
          continue;
        }
        if (!PortTypeAccepts(port->type, output->type)) {
          Error(ref_value.at, "input '" + in.port + "' expects " + port->type + " but '" +
                                  text->get<std::string>() + "' is " + output->type);
          continue;
        }
        if (ref->index && !output->many()) {
          Error(ref_value.at, "output '" + ref->output + "' of step '" + ref->step +
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
              Error(ref_value.at, "step '" + ref->step + "' has no instance '" + key + "'");
              continue;
            }
            instances = {key};
          } else {
            Error(ref_value.at, "step '" + ref->step + "' runs once per foreach item; use " +
                                    ref->step + "[*]." + ref->output + " for all or " + ref->step +
                                    "@KEY." + ref->output + " for one");
            continue;
          }
        } else {
          if (ref->all_instances || ref->key) {
            Error(ref_value.at, "step '" + ref->step + "' has no foreach; refer to it as " +
                                    ref->step + "." + ref->output);
            continue;
          }
          instances = {ref->step};
        }
        for (const std::string& key : instances) {
          const std::vector<std::string> names = PartyOutputNames(key, party, port_name);
          if (names.empty()) {
            Error(ref_value.at, "party outputs of step '" + ref->step +
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
        Error(in.at, "input '" + in.port + "' takes one " + port->type +
                         " but its references give several; name one value (step.output[N] or "
                         "step@KEY.output)");
        continue;
      }
      instance.inputs.push_back(std::move(binding));
    }
    CheckRequiredInputs(info, bound);
  }

  void ExpandStep(const StepInfo& info) {
    for (const auto& [need, at] : info.spec->needs) {
      if (!steps_.count(need))
        Error(at, "needs unknown step '" + need + "'" + Suggest(need, StepIds()));
    }
    for (size_t i = 0; i < info.keys.size(); ++i) {
      Instance instance;
      instance.key = info.keys[i];
      instance.step_id = info.spec->id;
      instance.item_key = info.item_keys[i];
      instance.plugin = info.plugin;
      instance.runtime = info.spec->runtime;
      instance.at = info.spec->at;
      Scope scope{&params_, info.foreach ? &info.items[i] : nullptr};
      if (info.plugin != nullptr) {
        std::optional<ParamMap> params =
            CheckParams(info.plugin->contract(), info.spec->with, scope, info.spec->at,
                        "step '" + info.spec->id + "'");
        if (params) {
          instance.params = *params;
          instance.params_json = CanonicalJson(*params);
          instance.record = RecordParams(info.plugin->contract(), *params);
        }
        CollectSecretPipelineParams(info.plugin->contract(), info.spec->with, info.spec->foreach,
                                    secret_pipeline_params_);
      }
      for (const PartySpec& party : info.spec->parties) {
        ExpandParty(party, scope, info.spec->foreach, instance);
      }
      if (!instance.parties.empty()) {
        // What the cache fingerprint sees for a multi-party step: every party's plugin,
        // version and parameters.
        json parties = json::array(), shown = json::array(), secret = json::array();
        for (const PartyInstance& p : instance.parties) {
          const json who = {{"party", p.name},
                            {"plugin", p.plugin->name()},
                            {"version", p.plugin->contract().version()}};
          parties.push_back(who);
          parties.back()["params"] = json::parse(p.params_json);
          shown.push_back(who);
          shown.back()["params"] = json::parse(p.record.shown_json);
          if (!p.record.secret_json.empty()) {
            secret.push_back({{"party", p.name}, {"params", json::parse(p.record.secret_json)}});
          }
          instance.record.fresh_secrets |= p.record.fresh_secrets;
        }
        instance.params_json = json{{"parties", parties}}.dump();
        instance.record.shown_json = json{{"parties", shown}}.dump();
        if (!secret.empty()) instance.record.secret_json = secret.dump();
      }
      if (instance.record.fresh_secrets)
        instance.fresh_secrets_of = spec_.name + "/" + instance.key;
      if (info.contract != nullptr) BindInputs(info, scope, instance);
      for (const auto& [need, at] : info.spec->needs) {
        auto it = steps_.find(need);
        if (it != steps_.end()) {
          instance.depends_on.insert(instance.depends_on.end(), it->second.keys.begin(),
                                     it->second.keys.end());
        }
      }
      instances_.push_back(std::move(instance));
    }
  }

  void ExpandParty(const PartySpec& party, const Scope& scope, const std::optional<Value>& foreach,
                   Instance& instance) {
    StatusOr<const LoadedPlugin*> plugin = catalog_.Find(party.uses);
    if (!plugin.ok()) return;  // reported in CollectSteps
    StatusOr<json> count = Resolve(party.count.json, scope);
    if (!count.ok() || !count->is_number_integer() || count->get<int64_t>() < 1 ||
        count->get<int64_t>() > 4096) {
      Error(party.count.at, count.ok()
                                ? "party count must be an integer in [1, 4096], got " +
                                      count->dump(-1, ' ', false, json::error_handler_t::replace)
                                : count.status().message());
      return;
    }
    const int64_t n = count->get<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      PartyInstance p;
      p.name = n == 1 ? party.name : party.name + "@" + std::to_string(i);
      p.role = party.name;
      p.index = static_cast<int>(i);
      p.count = static_cast<int>(n);
      const json facts = {{"name", p.name}, {"index", i}, {"count", n}};
      Scope party_scope = scope;
      party_scope.party = &facts;
      std::optional<ParamMap> params = CheckParams((*plugin)->contract(), party.with, party_scope,
                                                   party.name_at, "party '" + party.name + "'");
      if (!params) return;  // the first party's errors stand for all
      p.plugin = *plugin;
      p.params = *params;
      p.params_json = CanonicalJson(*params);
      p.record = RecordParams((*plugin)->contract(), *params);
      CollectSecretPipelineParams((*plugin)->contract(), party.with, foreach,
                                  secret_pipeline_params_);
      instance.parties.push_back(std::move(p));
    }
  }

  const PipelineSpec& spec_;
  const PluginCatalog& catalog_;
  const std::map<std::string, std::string>& overrides_;
  json params_;
  std::set<std::string> secret_pipeline_params_;
  std::map<std::string, StepInfo> steps_;
  std::vector<Instance> instances_;
  std::vector<Diagnostic> diagnostics_;
  std::set<std::string> reported_;
};

}  // namespace

const Instance* Plan::Find(const std::string& key) const {
  for (const auto& i : instances) {
    if (i.key == key) return &i;
  }
  return nullptr;
}

CompileResult Compile(const PipelineSpec& spec, const PluginCatalog& catalog,
                      const std::map<std::string, std::string>& overrides) {
  return Compiler(spec, catalog, overrides).Run();
}

}  // namespace securemark::pipeline
