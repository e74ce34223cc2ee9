// `securemark validate FILE`: reports every problem in a pipeline, each as file:line:col.
#include <iostream>

#include "cli/commands.h"
#include "cli/pipeline_loading.h"

namespace securemark::cli {

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
