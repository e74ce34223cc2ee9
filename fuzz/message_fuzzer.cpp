// The ZeroMQ message decoder: frames from any peer, however malformed. The input is
// split into frames at each "\n--\n".
#include <cstdint>
#include <string>
#include <vector>

#include "transport/messages.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> frames;
  for (size_t start = 0;;) {
    const size_t end = input.find("\n--\n", start);
    frames.push_back(input.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 4;
  }
  StatusOr<transport::Message> message = transport::DecodeMessage(frames);
  if (message.ok()) {
    // What decodes must encode back to frames that decode the same.
    StatusOr<transport::Message> again =
        transport::DecodeMessage(transport::EncodeMessage(*message));
    if (!again.ok() || again->kind != message->kind || again->header != message->header ||
        again->payloads != message->payloads) {
      __builtin_trap();
    }
    (void)transport::PartyFromJson(message->header);
  }
  return 0;
}
