// Runs one plugin once on encoded input files and writes its outputs to a directory with
// a manifest. The orchestrator's `securemark exec` drives this in a child process.
#pragma once

#include <string>
#include <vector>

#include "securemark/status.h"

namespace securemark {

struct OneShotOptions {
  std::string plugin;
  std::string library;
  std::string params_json = "{}";
  std::vector<std::string> inputs;  // PORT=FILE
  std::string output_dir;
};

// Writes OUTPUT_DIR/<port>.<index>.<Type> per output (0600 when secret) and
// OUTPUT_DIR/manifest.json: [{"port", "index", "type", "file", "bytes", "secret"}].
Status RunOneShot(const OneShotOptions& options);

// The type recorded in an encoded value file's name (".../images.0.Dataset" -> "Dataset").
std::string TypeFromFileName(const std::string& path);

}  // namespace securemark
