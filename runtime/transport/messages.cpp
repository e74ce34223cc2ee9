#include "transport/messages.h"

#include <set>

namespace securemark::transport {
namespace {

const std::set<std::string> kKinds = {"HELLO", "HEARTBEAT", "PROGRESS", "LOG",     "RESULT",
                                      "TASK",  "CANCEL",    "ANNOUNCE", "SHUTDOWN"};

}  // namespace

StatusOr<Message> DecodeMessage(std::vector<std::string> frames) {
  SM_ASSIGN_OR_RETURN(Message m, DecodeFrames(std::move(frames), kKinds));
  // Payload counts must match what the header announces.
  const char* list = m.kind == "TASK" ? "inputs" : m.kind == "RESULT" ? "outputs" : nullptr;
  if (list != nullptr) {
    if (!m.header.contains(list) || !m.header[list].is_array()) {
      return InvalidArgumentError(m.kind + " header lacks the '" + list + "' list");
    }
    if (m.header[list].size() != m.payloads.size()) {
      return InvalidArgumentError(m.kind + " announces " + std::to_string(m.header[list].size()) +
                                  " " + list + " but carries " + std::to_string(m.payloads.size()) +
                                  " payloads");
    }
  } else if (!m.payloads.empty()) {
    return InvalidArgumentError(m.kind + " carries unexpected payload frames");
  }
  return m;
}

StatusOr<Message> DecodeFrames(std::vector<std::string> frames,
                               const std::set<std::string>& kinds) {
  if (frames.size() < 2) {
    return InvalidArgumentError("message has " + std::to_string(frames.size()) +
                                " frames; expected a kind and a JSON header");
  }
  if (frames.size() > kMaxFrames) return InvalidArgumentError("message has too many frames");
  Message m;
  m.kind = std::move(frames[0]);
  if (!kinds.count(m.kind)) {
    return InvalidArgumentError("unknown message kind '" + m.kind.substr(0, 32) + "'");
  }
  m.header = nlohmann::json::parse(frames[1], nullptr, false);
  if (m.header.is_discarded() || !m.header.is_object()) {
    return InvalidArgumentError(m.kind + " header is not a JSON object");
  }
  for (size_t i = 2; i < frames.size(); ++i) m.payloads.push_back(std::move(frames[i]));
  return m;
}

std::vector<std::string> EncodeMessage(const Message& message) {
  std::vector<std::string> frames = {message.kind, message.header.dump()};
  frames.insert(frames.end(), message.payloads.begin(), message.payloads.end());
  return frames;
}

StatusOr<std::string> StringField(const nlohmann::json& header, const char* name) {
  if (!header.contains(name) || !header[name].is_string()) {
    return InvalidArgumentError(std::string("field '") + name + "' is missing or not a string");
  }
  return header[name].get<std::string>();
}

nlohmann::json PartyToJson(const PartyInfo& p) {
  return {{"name", p.name},
          {"role", p.role},
          {"index", p.index},
          {"count", p.count},
          {"curve", p.curve},
          {"public_key", p.public_key},
          {"secret_key", p.secret_key},
          {"peers", p.peers},
          {"bind", p.bind},
          {"connect", p.connect},
          {"state_dir", p.state_dir}};
}

StatusOr<PartyInfo> PartyFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgumentError("party is not a JSON object");
  PartyInfo p;
  SM_ASSIGN_OR_RETURN(p.name, StringField(j, "name"));
  SM_ASSIGN_OR_RETURN(p.role, StringField(j, "role"));
  SM_ASSIGN_OR_RETURN(int64_t index, IntField(j, "index"));
  SM_ASSIGN_OR_RETURN(int64_t count, IntField(j, "count"));
  if (index < 0 || count < 1 || index >= count)
    return InvalidArgumentError("party index " + std::to_string(index) + " is not in [0, " +
                                std::to_string(count) + ")");
  p.index = static_cast<int>(index);
  p.count = static_cast<int>(count);
  if (j.contains("curve") && !j["curve"].is_boolean())
    return InvalidArgumentError("party field 'curve' is not a boolean");
  p.curve = j.value("curve", true);
  SM_ASSIGN_OR_RETURN(p.public_key, StringField(j, "public_key"));
  SM_ASSIGN_OR_RETURN(p.secret_key, StringField(j, "secret_key"));
  if (!j.contains("peers") || !j["peers"].is_object())
    return InvalidArgumentError("party field 'peers' is missing or not an object");
  for (const auto& [name, key] : j["peers"].items()) {
    if (!key.is_string()) return InvalidArgumentError("party peer '" + name + "' has no key");
    p.peers[name] = key.get<std::string>();
  }
  for (const char* optional : {"bind", "connect", "state_dir"}) {
    if (j.contains(optional) && !j[optional].is_string())
      return InvalidArgumentError(std::string("party field '") + optional + "' is not a string");
  }
  p.bind = j.value("bind", "");
  p.connect = j.value("connect", "");
  p.state_dir = j.value("state_dir", "");
  return p;
}

StatusOr<int64_t> IntField(const nlohmann::json& header, const char* name) {
  if (!header.contains(name) || !header[name].is_number_integer()) {
    return InvalidArgumentError(std::string("field '") + name + "' is missing or not an integer");
  }
  return header[name].get<int64_t>();
}

}  // namespace securemark::transport
