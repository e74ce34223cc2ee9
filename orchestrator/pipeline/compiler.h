// Validates a parsed pipeline against the plugin contracts and expands it into a Plan.
// Every problem is reported, each at the file:line:col it concerns: unknown plugins and
// parameters (with the closest names), values of the wrong type or out of range, inputs
// naming missing steps, outputs or ports, type mismatches, duplicate ids and cycles.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "loader/plugin_catalog.h"
#include "pipeline/plan.h"
#include "pipeline/spec.h"

namespace securemark::pipeline {

// Limits on what one pipeline may ask for.
inline constexpr size_t kMaxInstances = 100000;

struct CompileResult {
  Plan plan;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty(); }
};

// `overrides` are --set KEY=VALUE values (YAML scalars) for declared pipeline params.
CompileResult Compile(const PipelineSpec& spec, const PluginCatalog& catalog,
                      const std::map<std::string, std::string>& overrides = {});

}  // namespace securemark::pipeline
