#include "pipeline/compiler.h"

#include "param_binder.h"

#include <functional>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "pipeline/expressions.h"
#include "pipeline/input_binder.h"
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
      if (info.contract != nullptr) {
        InputBinder binder(catalog_, steps_, instances_,
                           [this](const Location& at, const std::string& m) { Error(at, m); });
        binder.Bind(info, scope, instance);
      }
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
