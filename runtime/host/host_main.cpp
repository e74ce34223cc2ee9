// securemark-host: runs plugins on behalf of the orchestrator. One host process loads one
// plugin library and serves many executions; it exits rather than unloading libraries.
//
//   securemark-host run --plugin dataset.idx --params '{"limit":100}' --output-dir out/
//   securemark-host describe build/plugins/dataset_idx.so
//   securemark-host doctor
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "host/one_shot.h"
#ifdef SECUREMARK_HOST_TORCH
#include "host/torch_diagnostics.h"
#endif
#include "loader/plugin_catalog.h"

namespace sm = securemark;

int main(int argc, char** argv) {
  CLI::App app{"securemark-host: runs securemark plugins in their own process"};
  app.require_subcommand(1);

  sm::OneShotOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run one plugin once on files and exit");
  run_cmd->add_option("--plugin", run.plugin, "Plugin name, e.g. dataset.idx")->required();
  run_cmd->add_option("--library", run.library, "Plugin library (default: search the path)");
  run_cmd->add_option("--params", run.params_json, "Parameters as a JSON object");
  run_cmd->add_option("--input", run.inputs, "PORT=FILE (repeatable; FILE holds an encoded value)");
  run_cmd->add_option("--output-dir", run.output_dir, "Where outputs and manifest.json go")
      ->required();

  std::string library;
  auto* describe_cmd = app.add_subcommand("describe", "Print the contracts a library declares");
  describe_cmd->add_option("library", library, "Path of a plugin library")->required();

  auto* doctor_cmd = app.add_subcommand("doctor", "Report LibTorch's BLAS, threads and speed");

  CLI11_PARSE(app, argc, argv);

  if (*run_cmd) {
    sm::Status status = sm::RunOneShot(run);
    if (!status.ok()) {
      std::cerr << "securemark-host: " << status.message() << "\n";
      return 1;
    }
    return 0;
  }
  if (*describe_cmd) {
    auto declared = sm::DeclaredPlugins(library);
    if (!declared.ok()) {
      std::cerr << "securemark-host: " << library << ": " << declared.status().message() << "\n";
      return 1;
    }
    for (const auto& d : *declared) {
      auto loaded = sm::LoadPlugin(d);
      if (!loaded.ok()) {
        std::cerr << "securemark-host: " << library << ": " << loaded.status().message() << "\n";
        return 1;
      }
      std::cout << loaded->contract().ToJson() << "\n";
    }
    return 0;
  }
  if (*doctor_cmd) {
#ifdef SECUREMARK_HOST_TORCH
    std::cout << sm::TorchDiagnosticsJson() << "\n";
    return 0;
#else
    std::cerr << "securemark-host: built without LibTorch\n";
    return 1;
#endif
  }
  return 0;
}
