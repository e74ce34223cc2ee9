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
#include "host/serve.h"
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

  sm::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "Join an orchestrator and run the executions it sends\n"
      "Example: securemark-host serve --connect tcp://10.0.0.5:5555 --server-key orch.pub "
      "--key host.key --plugin dataset.idx");
  serve_cmd->add_option("--connect", serve.endpoint, "Orchestrator endpoint tcp://HOST:PORT")
      ->required();
  serve_cmd->add_option("--server-key", serve.server_key, "Orchestrator public key (Z85 or file)")
      ->required();
  serve_cmd->add_option("--key", serve.key_file, "This host's key file (securemark keys new)")
      ->required();
  serve_cmd->add_option("--library", serve.library, "Plugin library to serve");
  serve_cmd->add_option("--plugin", serve.plugin, "Serve the library holding this plugin");
  serve_cmd->add_option("--id", serve.id, "Routing identity (default host-<pid>)");
  serve_cmd->add_flag("--exit-with-parent", serve.exit_with_parent,
                      "Die when the parent process dies");
  serve_cmd->add_option("--heartbeat-ms", serve.heartbeat_ms, "Heartbeat interval")
      ->check(CLI::Range(50, 60000));
  serve_cmd
      ->add_option("--orchestrator-timeout-ms", serve.orchestrator_timeout_ms,
                   "Exit after this long without word from the orchestrator")
      ->check(CLI::Range(200, 3600000));

  CLI11_PARSE(app, argc, argv);

  if (*run_cmd) {
    sm::Status status = sm::RunOneShot(run);
    if (!status.ok()) {
      std::cerr << "securemark-host: " << status.message() << "\n";
      return 1;
    }
    return 0;
  }
  if (*serve_cmd) {
    sm::Status status = sm::Serve(serve);
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
