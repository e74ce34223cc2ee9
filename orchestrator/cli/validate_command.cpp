// `securemark validate FILE`: reports every problem in a pipeline, each as file:line:col.
#include <iostream>

#include "cli/commands.h"
#include "cli/pipeline_loading.h"

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

namespace {

int Validate(const std::string& file, const std::vector<std::string>& sets) {
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  StatusOr<pipeline::CompileResult> result = LoadPipeline(file, sets, catalog);
  if (!result.ok()) {
    std::cerr << "securemark: " << result.status().message() << "\n";
    return kExitUsage;
  }
  if (!result->ok()) {
    PrintDiagnostics(result->diagnostics);
    return kExitFailed;
  }
  std::cout << file << ": valid; " << result->plan.instances.size() << " step instances\n";
  return kExitOk;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto* validate =
      app.add_subcommand("validate",
                         "Check a pipeline against the installed plugins; report every error\n"
                         "Example: securemark validate pipelines/quickstart.yaml --set owners=8");
  validate->add_option("file", *file, "Pipeline YAML file")->required();
  validate->add_option("--set", *sets, "Override a pipeline parameter KEY=VALUE (repeatable)");
  validate->callback([&exit_code, file, sets] { exit_code = Validate(*file, *sets); });
}

}  // namespace securemark::cli
