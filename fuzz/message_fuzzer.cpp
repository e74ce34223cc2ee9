// The ZeroMQ message decoder: frames from any peer, however malformed. The input is
// split into frames at each "\n--\n".
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "transport/messages.h"

using namespace securemark;

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
  }
  return 0;
}
