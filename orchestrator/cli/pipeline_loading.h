// Reading and compiling a pipeline file for the validate and run commands.
#pragma once

#include <string>
#include <vector>

#include "loader/plugin_catalog.h"
#include "pipeline/compiler.h"
#include "pipeline/parser.h"

namespace securemark::cli {

// Parses and compiles; diagnostics carry every problem. A malformed --set is a Status.
StatusOr<pipeline::CompileResult> LoadPipeline(const std::string& file,
                                               const std::vector<std::string>& sets,
                                               const PluginCatalog& catalog);

void PrintDiagnostics(const std::vector<pipeline::Diagnostic>& diagnostics);

}  // namespace securemark::cli
