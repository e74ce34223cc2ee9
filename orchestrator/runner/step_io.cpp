#include "runner/step_io.h"

#include "loader/plugin_catalog.h"
#include "securemark/digest.h"
#include "securemark/typed.h"

namespace securemark::runner {

const PortSpec* BoundInputPort(const pipeline::Instance& instance, const std::string& binding) {
  const size_t slash = binding.find('/');
  if (slash == std::string::npos) {
    const LoadedPlugin* plugin = instance.plugin != nullptr ? instance.plugin
                                 : instance.parties.empty() ? nullptr
                                                            : instance.parties.front().plugin;
    return plugin == nullptr ? nullptr : plugin->contract().FindInput(binding);
  }
  const std::string role = binding.substr(0, slash);
  for (const pipeline::PartyInstance& party : instance.parties) {
    if (party.role == role) return party.plugin->contract().FindInput(binding.substr(slash + 1));
  }
  return nullptr;
}

StatusOr<ResolvedInputs> ResolveInputs(
    const pipeline::Instance& instance,
    const std::function<const ProducedOutputs&(const std::string&)>& outputs_of) {
  ResolvedInputs resolved;
  for (const pipeline::InputBinding& binding : instance.inputs) {
    const PortSpec* port = BoundInputPort(instance, binding.port);
    if (port == nullptr) return InternalError("no input port '" + binding.port + "'");
    std::vector<int64_t> artifacts;
    for (const pipeline::SourceRef& source : binding.sources) {
      if (source.artifact) {
        artifacts.push_back(*source.artifact);
        continue;
      }
      const ProducedOutputs& produced = outputs_of(source.instance);
      auto it = produced.find(source.output);
      const std::vector<int64_t> values =
          it == produced.end() ? std::vector<int64_t>{} : it->second;
      if (source.index) {
        if (*source.index >= values.size()) {
          return OutOfRangeError(
              "'" + source.instance + "." + source.output + "[" + std::to_string(*source.index) +
              "]' does not exist: the step produced " + std::to_string(values.size()) + " values");
        }
        artifacts.push_back(values[*source.index]);
      } else {
        artifacts.insert(artifacts.end(), values.begin(), values.end());
      }
    }
    for (size_t i = 0; i < artifacts.size(); ++i) {
      std::string path = port->many() ? binding.port + "[" + std::to_string(i) + "]" : binding.port;
      resolved.events.push_back({artifacts[i], path});
      resolved.types.emplace_back(binding.port, port->type);
    }
  }
  return resolved;
}

Status CheckStoredInputs(const pipeline::Plan& plan, store::Store& store) {
  std::vector<std::string> problems;
  for (const pipeline::Instance& instance : plan.instances) {
    for (const pipeline::InputBinding& binding : instance.inputs) {
      const PortSpec* port = BoundInputPort(instance, binding.port);
      for (const pipeline::SourceRef& source : binding.sources) {
        if (!source.artifact || port == nullptr) continue;
        const std::string where = "step '" + instance.key + "' input '" + binding.port +
                                  "': artifact:" + std::to_string(*source.artifact);
        StatusOr<store::Artifact> a = store.GetArtifact(*source.artifact);
        if (!a.ok()) {
          problems.push_back(where + " is not in the store");
        } else if (a->state != store::ArtifactState::kLive) {
          problems.push_back(where + " is " + std::string(store::Name(a->state)) + ", not LIVE");
        } else if (!StoredTypeAccepted(port->type, a->type)) {
          problems.push_back(where + " is a " + a->type + " but the port takes " + port->type);
        }
      }
    }
  }
  if (problems.empty()) return OkStatus();
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
  return InvalidArgumentError(message);
}

StatusOr<std::vector<ReturnedOutput>> ReadReturnedOutputs(const Contract& contract,
                                                          const transport::Message& result) {
  const nlohmann::json& declared = result.header.value("outputs", nlohmann::json::array());
  if (!declared.is_array() || declared.size() != result.payloads.size())
    return InvalidArgumentError("the host's outputs do not match its payloads");
  std::vector<ReturnedOutput> out;
  for (size_t i = 0; i < result.payloads.size(); ++i) {
    const nlohmann::json& o = declared[i];
    if (!o.is_object()) return InvalidArgumentError("the host returned a malformed output entry");
    ReturnedOutput r;
    r.port = o.value("port", "");
    r.payload = i;
    r.spec = contract.FindOutput(r.port);
    if (r.spec == nullptr || o.value("type", "") != r.spec->type) {
      return InvalidArgumentError("the host returned an undeclared output '" + r.port + "'");
    }
    r.secret = r.spec->secret() || o.value("secret", false);
    if (o.contains("labels")) {
      if (!o["labels"].is_object()) return InvalidArgumentError("output labels are not an object");
      for (const auto& [key, value] : o["labels"].items()) {
        if (!value.is_string() || key.empty() || key.size() > 64 || value.size() > 4096) {
          return InvalidArgumentError("output '" + r.port + "' has a malformed label '" +
                                      key.substr(0, 64) + "'");
        }
        r.labels[key] = value.get<std::string>();
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

const LoadedPlugin& PrimaryPlugin(const pipeline::Instance& instance) {
  return instance.plugin != nullptr ? *instance.plugin : *instance.parties.front().plugin;
}

StatusOr<std::string> ExecutionFingerprint(store::Store& store, const pipeline::Instance& instance,
                                           const std::vector<store::EventSpec>& inputs) {
  nlohmann::json digests = nlohmann::json::array();
  for (const store::EventSpec& in : inputs) {
    SM_ASSIGN_OR_RETURN(store::Artifact a, store.GetArtifact(in.artifact_id));
    digests.push_back({in.path, a.digest});
  }
  const Contract& c = PrimaryPlugin(instance).contract();
  const pipeline::ParamRecord& record = instance.record;
  nlohmann::json j = {{"plugin", c.name()},
                      {"version", c.version()},
                      {"params", nlohmann::json::parse(record.shown_json)},
                      {"inputs", digests}};
  if (!record.secret_json.empty()) {
    SM_ASSIGN_OR_RETURN(std::string keyed, store.KeyedDigest(record.secret_json));
    j["secret_params"] = keyed;
  }
  if (!instance.fresh_secrets_of.empty()) j["fresh_secrets_of"] = instance.fresh_secrets_of;
  return store::Sha256Hex(j.dump());
}

store::NewExecution NewExecution(const pipeline::Instance& instance, const std::string& fingerprint,
                                 int64_t run_context, int attempts) {
  const LoadedPlugin& plugin = PrimaryPlugin(instance);
  store::NewExecution e = store::NewExecution::Of(plugin.name(), instance.key);
  e.plugin_version = plugin.contract().version();
  e.params_json = instance.record.shown_json;
  e.fingerprint = fingerprint;
  e.contexts = {run_context};
  if (!instance.item_key.empty()) e.properties["foreach_item"] = instance.item_key;
  e.properties["attempt"] = int64_t{attempts};
  return e;
}

StatusOr<std::optional<CachedExecution>> FindUsableCache(store::Store& store,
                                                         const std::string& fingerprint) {
  SM_ASSIGN_OR_RETURN(std::optional<store::Execution> cached,
                      store.FindCachedExecution(fingerprint));
  if (!cached) return std::nullopt;
  SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(cached->id));
  CachedExecution usable{cached->id, {}};
  for (const store::Event& ev : events) {
    if (ev.type != store::EventType::kOutput) continue;
    SM_ASSIGN_OR_RETURN(store::Artifact a, store.GetArtifact(ev.artifact_id));
    if (a.state != store::ArtifactState::kLive || !store.blobs().Exists(a.digest))
      return std::nullopt;
    usable.outputs[ev.path.substr(0, ev.path.find('['))].push_back(ev.artifact_id);
  }
  return usable;
}

StatusOr<transport::Message> TaskMessage(store::Store& store, const pipeline::Instance& instance,
                                         int64_t execution, const ResolvedInputs& inputs,
                                         const std::string& role) {
  transport::Message task{"TASK",
                          {{"task", std::to_string(execution)},
                           {"plugin", PrimaryPlugin(instance).name()},
                           {"params", nlohmann::json::parse(instance.params_json)},
                           {"inputs", nlohmann::json::array()}},
                          {}};
  const bool first = instance.parties.empty() || instance.parties.front().role == role;
  const std::string prefix = first ? "" : role + "/";
  for (size_t i = 0; i < inputs.events.size(); ++i) {
    const std::string& port = inputs.types[i].first;
    const bool addressed = port.find('/') != std::string::npos;
    if (first ? addressed : port.rfind(prefix, 0) != 0) continue;
    SM_ASSIGN_OR_RETURN(std::string bytes, store.ReadArtifact(inputs.events[i].artifact_id));
    task.header["inputs"].push_back(
        {{"port", port.substr(prefix.size())}, {"type", inputs.types[i].second}});
    task.payloads.push_back(std::move(bytes));
  }
  return task;
}

Status StageReturnedOutputs(store::Store& store, int64_t execution, const std::string& instance_key,
                            const std::string& prefix, const std::vector<ReturnedOutput>& returned,
                            const transport::Message& result, std::vector<store::EventSpec>& events,
                            ProducedOutputs& produced) {
  for (const ReturnedOutput& o : returned) {
    const std::string key = prefix + o.port;
    const size_t index = produced[key].size();
    std::string path = o.spec->many() ? key + "[" + std::to_string(index) + "]" : key;
    SM_ASSIGN_OR_RETURN(int64_t artifact,
                        store.StageOutput(execution, o.spec->type, result.payloads[o.payload],
                                          o.secret, o.labels, instance_key + "." + path));
    produced[key].push_back(artifact);
    events.push_back({artifact, path});
  }
  return OkStatus();
}

}  // namespace securemark::runner
