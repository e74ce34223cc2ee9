// The torch.save reader (zip archive, pickle interpreter, state_dict search) without
// LibTorch: any file must be read or refused, never crash, hang or allocate without bound.
#include <cstdint>
#include <string>

#include "models/state_dict_reader.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)models::ReadStateDict(bytes, {});
  (void)models::ReadStateDict(bytes, {"conv2_weight", "fc1.weight"}, {"input_mean"});
  return 0;
}
