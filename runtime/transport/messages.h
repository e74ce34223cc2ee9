// The orchestrator <-> host protocol over ZeroMQ (ROUTER on the orchestrator, one DEALER
// per host). A message is [kind, JSON header, payload frames...]:
//   host -> orchestrator  HELLO {protocol, pid, host, library, plugins[]}
//                         HEARTBEAT {}
//                         PROGRESS {task, done, total, what}
//                         LOG {task, level, message}
//                         RESULT {task, code, error, outputs[{port, index, type, secret}]} + one
//                                frame per output
//                         ANNOUNCE {task, endpoint}   (the listening party of a multi-party step)
//   orchestrator -> host  TASK {task, plugin, params{}, inputs[{port, type}], party?} + one frame
//                              per input
//                         CANCEL {task}   HEARTBEAT {}   SHUTDOWN {}
// Decoding never trusts the peer: a malformed message is a Status naming what is wrong.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "securemark/context.h"
#include "securemark/message.h"
#include "securemark/status.h"

namespace securemark::transport {

inline constexpr int kProtocolVersion = 1;
// Larger messages are refused by the socket (ZMQ_MAXMSGSIZE) and by the decoder.
inline constexpr int64_t kMaxMessageBytes = int64_t{1} << 31;
inline constexpr size_t kMaxFrames = 1 << 16;

using Message = ::securemark::Message;

// Frames as received (after any routing identity was removed).
StatusOr<Message> DecodeMessage(std::vector<std::string> frames);
// The framing alone: a kind from `kinds`, a JSON object header, any payload frames.
StatusOr<Message> DecodeFrames(std::vector<std::string> frames, const std::set<std::string>& kinds);
std::vector<std::string> EncodeMessage(const Message& message);

// Field access that reports what is missing or of the wrong type.
StatusOr<std::string> StringField(const nlohmann::json& header, const char* name);
StatusOr<int64_t> IntField(const nlohmann::json& header, const char* name);

// The "party" field of a TASK for one party of a multi-party step.
nlohmann::json PartyToJson(const PartyInfo& party);
StatusOr<PartyInfo> PartyFromJson(const nlohmann::json& json);

}  // namespace securemark::transport
