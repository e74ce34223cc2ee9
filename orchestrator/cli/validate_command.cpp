// `securemark validate FILE`: reports every problem in a pipeline, each as file:line:col.
#include <iostream>

#include "cli/commands.h"
#include "cli/executor_options.h"
#include "cli/pipeline_loading.h"

namespace securemark::cli {

namespace {

int Validate(const std::string& file, const std::vector<std::string>& sets,
             const ExecutorArgs& executor) {
  StatusOr<std::optional<runner::SlurmOptions>> slurm = SlurmOptionsOf(executor);
  if (!slurm.ok()) {
    std::cerr << "securemark: " << slurm.status().message() << "\n";
    return kExitUsage;
  }
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
  if (*slurm && !PartitionAllows(result->plan, **slurm)) return kExitFailed;
  std::cout << file << ": valid; " << result->plan.instances.size() << " step instances\n";
  return kExitOk;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto executor = std::make_shared<ExecutorArgs>();
  auto* validate =
      app.add_subcommand("validate",
                         "Check a pipeline against the installed plugins; report every error\n"
                         "Example: securemark validate pipelines/quickstart.yaml --set owners=8");
  validate->add_option("file", *file, "Pipeline YAML file")->required();
  validate->add_option("--set", *sets, "Override a pipeline parameter KEY=VALUE (repeatable)");
  AddExecutorOptions(validate, *executor);
  validate->callback(
      [&exit_code, file, sets, executor] { exit_code = Validate(*file, *sets, *executor); });
}

}  // namespace securemark::cli
