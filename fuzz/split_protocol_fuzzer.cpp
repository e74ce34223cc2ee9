// The split-learning protocol decoder: messages a hostile owner or server could send,
// already framed (kind, JSON header, payloads; split at each "\n--\n"). A message must be
// refused with a status or decode to values that encode back to the same message.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "split/protocol.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> frames =
      fuzz::SplitFrames(std::string(reinterpret_cast<const char*>(data), size));
  if (frames.size() < 2) return 0;
  Message message{frames[0], nlohmann::json::parse(frames[1], nullptr, false), {}};
  if (message.header.is_discarded()) return 0;
  message.payloads.assign(frames.begin() + 2, frames.end());
  StatusOr<split::ProtocolMessage> decoded = split::Decode(message);
  if (!decoded.ok()) return 0;
  StatusOr<split::ProtocolMessage> again = split::Decode(split::Encode(*decoded));
  if (!again.ok() || again->index() != decoded->index() ||
      split::Encode(*again).payloads != split::Encode(*decoded).payloads)
    __builtin_trap();
  return 0;
}
