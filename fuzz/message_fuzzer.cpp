// The ZeroMQ message decoder: frames from any peer, however malformed. The input is
// split into frames at each "\n--\n". What decodes is then read the way the orchestrator
// and the host read it (defaulted field reads throw on a mistyped field), so a header the
// decoder lets through that would crash either side is a finding.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "transport/messages.h"

using namespace securemark;

namespace {

void ReadLikeTheOrchestrator(const transport::Message& m) {
  const nlohmann::json& h = m.header;
  (void)h.value("protocol", 0);
  (void)h.value("library", "");
  (void)h.value("host", "?");
  (void)h.value("task", "");
  (void)h.value("done", 0.0);
  (void)h.value("total", 0.0);
  (void)h.value("what", "");
  (void)h.value("level", 1);
  (void)h.value("message", "");
  (void)h.value("code", 1);
  (void)h.value("error", "");
  (void)h.value("endpoint", "");
  for (const char* list : {"inputs", "outputs", "plugins"}) {
    if (!h.contains(list)) continue;
    for (const auto& e : h[list]) {
      if (!e.is_object()) continue;
      (void)e.value("port", "");
      (void)e.value("type", "");
      (void)e.value("secret", false);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  StatusOr<transport::Message> message = transport::DecodeMessage(fuzz::SplitFrames(input));
  if (message.ok()) {
    // What decodes must encode back to frames that decode the same.
    StatusOr<transport::Message> again =
        transport::DecodeMessage(transport::EncodeMessage(*message));
    if (!again.ok() || again->kind != message->kind || again->header != message->header ||
        again->payloads != message->payloads) {
      __builtin_trap();
    }
    (void)transport::PartyFromJson(message->header);
    ReadLikeTheOrchestrator(*message);
  }
  return 0;
}
