// The grammar of input references (step.output, step@key.output, step[*].output,
// step.output[N], step.party/output, artifact:ID) and the order instances run in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/plan.h"

namespace securemark::pipeline {

struct ParsedRef {
  std::string step;
  std::optional<std::string> key;
  bool all_instances = false;
  std::string output;  // "port", or "party/port" for a party of a multi-party step
  std::optional<size_t> index;
};

std::optional<ParsedRef> ParseRef(const std::string& text);

// "artifact:ID" names an artifact already in the store.
std::optional<int64_t> ParseArtifactRef(const std::string& text);

// The step a reference names, read without validating the rest (for cycle detection).
std::string RefStep(const std::string& text);

// Dependencies before dependents (Kahn's algorithm), keeping pipeline order among
// instances that are ready together; duplicate dependencies are removed.
std::vector<Instance> OrderInstances(std::vector<Instance> instances);

}  // namespace securemark::pipeline
