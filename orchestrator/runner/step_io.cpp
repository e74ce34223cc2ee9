#include "runner/step_io.h"

#include "loader/plugin_catalog.h"
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

}  // namespace securemark::runner
