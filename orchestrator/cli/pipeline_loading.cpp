#include "cli/pipeline_loading.h"

#include <algorithm>
#include <iostream>

namespace securemark::cli {

StatusOr<pipeline::CompileResult> LoadPipeline(const std::string& file,
                                               const std::vector<std::string>& sets,
                                               const PluginCatalog& catalog) {
  std::map<std::string, std::string> overrides;
  for (const std::string& kv : sets) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("--set expects KEY=VALUE, got '" + kv + "'");
    }
    overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  pipeline::ParseResult parsed = pipeline::ParsePipelineFile(file);
  // Contract checks run on whatever parsed, so structural and semantic errors come together.
  pipeline::CompileResult compiled = pipeline::Compile(parsed.spec, catalog, overrides);
  compiled.diagnostics.insert(compiled.diagnostics.end(), parsed.diagnostics.begin(),
                              parsed.diagnostics.end());
  std::stable_sort(compiled.diagnostics.begin(), compiled.diagnostics.end(),
                   [](const pipeline::Diagnostic& a, const pipeline::Diagnostic& b) {
                     return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
                   });
  return compiled;
}

void PrintDiagnostics(const std::vector<pipeline::Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) std::cerr << d.ToString() << "\n";
  std::cerr << diagnostics.size() << (diagnostics.size() == 1 ? " error" : " errors") << "\n";
}

}  // namespace securemark::cli
