// The IDX reader (MNIST / Fashion-MNIST files), plain or gzipped.
#include <cstdint>
#include <string>

#include "data/idx_reader.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  StatusOr<std::string> plain = data::MaybeGunzip(bytes, "fuzz.idx");
  if (!plain.ok()) return 0;
  (void)data::ParseIdx(*plain, "fuzz.idx", 0);
  (void)data::ParseIdx(*plain, "fuzz.idx", 3);
  return 0;
}
