// The CIFAR-10/100 binary reader. The first byte chooses the label layout.
#include <cstdint>

#include "data/cifar_reader.h"
#include "fuzz_input.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int label_bytes = data[0] % 2 == 0 ? 1 : 2;
  const std::string& path = fuzz::AsFile(data + 1, size - 1, ".bin");
  (void)data::ReadCifarFiles({path}, label_bytes, label_bytes == 1 ? 9 : 99, data[0] % 4);
  return 0;
}
