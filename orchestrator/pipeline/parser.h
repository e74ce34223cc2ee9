// Reads a pipeline YAML file into a PipelineSpec. Structural problems (YAML syntax, unknown
// keys, wrong kinds of node, missing required keys) become diagnostics; parsing goes on
// so that every problem is reported at once.
#pragma once

#include <string>
#include <vector>

#include "pipeline/spec.h"

namespace securemark::pipeline {

struct ParseResult {
  PipelineSpec spec;
  std::vector<Diagnostic> diagnostics;
};

ParseResult ParsePipelineFile(const std::string& path);
ParseResult ParsePipelineText(const std::string& text, const std::string& file_name);

inline constexpr const char* kApiVersion = "securemark/v1";

}  // namespace securemark::pipeline
