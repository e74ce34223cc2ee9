// A serialised TorchScript module (a zip archive) as an artifact value. LibTorch-free,
// so plugins and tools that only move models around need not include torch.
#pragma once

#include <string>

#include "securemark/status.h"

namespace securemark::models {

class ModelFile {
 public:
  static constexpr std::string_view kTypeName = "Model";

  ModelFile() = default;
  explicit ModelFile(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& bytes() const { return bytes_; }

  std::string Encode() const { return bytes_; }
  static StatusOr<ModelFile> Decode(std::string_view bytes) {
    if (bytes.size() < 4 || bytes.substr(0, 2) != "PK") {
      return DataLossError("not a TorchScript model file (expected a zip archive)");
    }
    return ModelFile(std::string(bytes));
  }

 private:
  std::string bytes_;
};

}  // namespace securemark::models
