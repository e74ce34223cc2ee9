// The model loader: a suspect file may be anything. As TorchScript, and as a checkpoint
// read into a reference architecture, it must load or be refused with an error.
#include <cstdint>
#include <string>

#include "models/model_file.h"
#include "models/model_zoo.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const torch::jit::Module reference = [] {
    auto m = models::BuildModel("deepmarks_cnn", 1, 28, 28, 10, 1);
    if (!m.ok()) __builtin_trap();
    return *m;
  }();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!models::ModelFile::Decode(bytes).ok()) return 0;
  (void)models::LoadModel(bytes);
  (void)models::LoadCheckpoint(bytes, reference);
  return 0;
}
