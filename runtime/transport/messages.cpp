#include "transport/messages.h"

#include <map>
#include <set>

namespace securemark::transport {
namespace {

const std::set<std::string> kKinds = {"HELLO", "HEARTBEAT", "PROGRESS", "LOG",     "RESULT",
                                      "TASK",  "CANCEL",    "ANNOUNCE", "SHUTDOWN"};

enum class Type { kString, kInt, kNumber, kBool, kObject, kArray };

struct Field {
  const char* name;
  Type type;
  bool required;
};

const char* TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "a string";
    case Type::kInt:
      return "an integer";
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "a boolean";
    case Type::kObject:
      return "an object";
    case Type::kArray:
      return "a list";
  }
  return "?";
}

bool Is(const nlohmann::json& v, Type t) {
  switch (t) {
    case Type::kString:
      return v.is_string();
    case Type::kInt:
      return v.is_number_integer();
    case Type::kNumber:
      return v.is_number();
    case Type::kBool:
      return v.is_boolean();
    case Type::kObject:
      return v.is_object();
    case Type::kArray:
      return v.is_array();
  }
  return false;
}

// The fields every kind may carry and their types: whoever reads a header afterwards can
// take a field's type for granted (nlohmann's value() throws on a mistyped field).
const std::map<std::string, std::vector<Field>>& Schemas() {
  static const std::map<std::string, std::vector<Field>> kSchemas = {
      {"HELLO",
       {{"protocol", Type::kInt, true},
        {"pid", Type::kInt, false},
        {"host", Type::kString, false},
        {"library", Type::kString, false},
        {"plugins", Type::kArray, false}}},
      {"HEARTBEAT", {}},
      {"SHUTDOWN", {}},
      {"PROGRESS",
       {{"task", Type::kString, true},
        {"done", Type::kNumber, false},
        {"total", Type::kNumber, false},
        {"what", Type::kString, false}}},
      {"LOG",
       {{"task", Type::kString, true},
        {"level", Type::kInt, false},
        {"message", Type::kString, false}}},
      {"RESULT",
       {{"task", Type::kString, true},
        {"code", Type::kInt, true},
        {"error", Type::kString, false},
        {"outputs", Type::kArray, true}}},
      {"ANNOUNCE", {{"task", Type::kString, true}, {"endpoint", Type::kString, true}}},
      {"TASK",
       {{"task", Type::kString, true},
        {"plugin", Type::kString, true},
        {"params", Type::kObject, false},
        {"inputs", Type::kArray, true},
        {"party", Type::kObject, false}}},
      {"CANCEL", {{"task", Type::kString, true}}},
  };
  return kSchemas;
}

Status CheckFields(const nlohmann::json& object, const std::vector<Field>& fields,
                   const std::string& where) {
  for (const Field& f : fields) {
    if (!object.contains(f.name)) {
      if (f.required) return InvalidArgumentError(where + " lacks field '" + f.name + "'");
      continue;
    }
    if (!Is(object[f.name], f.type)) {
      return InvalidArgumentError(where + " field '" + f.name + "' is not " + TypeName(f.type));
    }
  }
  return OkStatus();
}

// The entries of the lists some kinds carry.
Status CheckEntries(const Message& m) {
  if (m.kind == "HELLO" && m.header.contains("plugins")) {
    for (const auto& p : m.header["plugins"])
      if (!p.is_string()) return InvalidArgumentError("HELLO field 'plugins' holds a non-string");
  }
  const char* list = m.kind == "TASK" ? "inputs" : m.kind == "RESULT" ? "outputs" : nullptr;
  if (list == nullptr) return OkStatus();
  static const std::vector<Field> kInput = {
      {"port", Type::kString, true}, {"type", Type::kString, true}, {"secret", Type::kBool, false}};
  static const std::vector<Field> kOutput = {{"port", Type::kString, true},
                                             {"index", Type::kInt, false},
                                             {"type", Type::kString, true},
                                             {"secret", Type::kBool, false},
                                             {"labels", Type::kObject, false}};
  for (size_t i = 0; i < m.header[list].size(); ++i) {
    const nlohmann::json& e = m.header[list][i];
    const std::string where = m.kind + " " + list + "[" + std::to_string(i) + "]";
    if (!e.is_object()) return InvalidArgumentError(where + " is not an object");
    SM_RETURN_IF_ERROR(CheckFields(e, m.kind == "TASK" ? kInput : kOutput, where));
  }
  return OkStatus();
}

}  // namespace

StatusOr<Message> DecodeMessage(std::vector<std::string> frames) {
  SM_ASSIGN_OR_RETURN(Message m, DecodeFrames(std::move(frames), kKinds));
  SM_RETURN_IF_ERROR(CheckFields(m.header, Schemas().at(m.kind), m.kind));
  SM_RETURN_IF_ERROR(CheckEntries(m));
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
