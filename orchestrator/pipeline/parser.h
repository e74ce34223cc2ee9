// Reads a pipeline YAML file into a PipelineSpec. Structural problems (YAML syntax, unknown
// keys, wrong kinds of node, missing required keys) become diagnostics; parsing goes on
// so that every problem is reported at once.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/spec.h"

namespace YAML {
class Node;
}

namespace securemark::pipeline {

struct ParseResult {
  PipelineSpec spec;
  std::vector<Diagnostic> diagnostics;
};

ParseResult ParsePipelineFile(const std::string& path);
// A YAML value as JSON: plain scalars become numbers or booleans where they read as one,
// quoted scalars stay strings.
nlohmann::json YamlToJson(const YAML::Node& node);
ParseResult ParsePipelineText(const std::string& text, const std::string& file_name);

inline constexpr const char* kApiVersion = "securemark/v1";

// The keys each kind of mapping may hold. pipelines/schema/pipeline.schema.json lists the
// same; parser_test ties the two together.
struct PipelineKeys {
  std::vector<std::string> pipeline, step, runtime, party;
};
const PipelineKeys& AllowedKeys();
// Larger pipeline files are refused before parsing.
inline constexpr size_t kMaxPipelineBytes = size_t{4} << 20;

}  // namespace securemark::pipeline
