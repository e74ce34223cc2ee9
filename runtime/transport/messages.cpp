#include "transport/messages.h"

#include <set>

namespace securemark::transport {
namespace {

const std::set<std::string> kKinds = {"HELLO",  "HEARTBEAT", "PROGRESS", "LOG",
                                      "RESULT", "TASK",      "CANCEL",   "SHUTDOWN"};

}  // namespace

StatusOr<Message> DecodeMessage(std::vector<std::string> frames) {
  if (frames.size() < 2) {
    return InvalidArgumentError("message has " + std::to_string(frames.size()) +
                                " frames; expected a kind and a JSON header");
  }
  if (frames.size() > kMaxFrames) return InvalidArgumentError("message has too many frames");
  Message m;
  m.kind = std::move(frames[0]);
  if (!kKinds.count(m.kind)) {
    return InvalidArgumentError("unknown message kind '" + m.kind.substr(0, 32) + "'");
  }
  m.header = nlohmann::json::parse(frames[1], nullptr, false);
  if (m.header.is_discarded() || !m.header.is_object()) {
    return InvalidArgumentError(m.kind + " header is not a JSON object");
  }
  for (size_t i = 2; i < frames.size(); ++i) m.payloads.push_back(std::move(frames[i]));
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

StatusOr<int64_t> IntField(const nlohmann::json& header, const char* name) {
  if (!header.contains(name) || !header[name].is_number_integer()) {
    return InvalidArgumentError(std::string("field '") + name + "' is missing or not an integer");
  }
  return header[name].get<int64_t>();
}

}  // namespace securemark::transport
