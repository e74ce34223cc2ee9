// `securemark exec NAME --with k=v --in port=FILE --out DIR`: runs one plugin once in its
// own host process, on files, without a pipeline or a store. Outputs are written as
// DIR/<port>.<index>.<Type> so they can be fed to the next `exec` with --in.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "loader/plugin_catalog.h"
#include "param_binder.h"
#include "securemark/files.h"
#include "util/process.h"

namespace securemark::cli {
namespace {

struct ExecOptions {
  std::string plugin;
  std::vector<std::string> with;
  std::vector<std::string> inputs;
  std::string output_dir;
};

// Binds every --with to the contract and reports all problems at once.
StatusOr<nlohmann::json> ParamsJson(const Contract& contract,
                                    const std::vector<std::string>& with) {
  ParamBinder binder(contract);
  std::vector<std::string> errors;
  for (const auto& kv : with) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back("--with expects KEY=VALUE, got '" + kv + "'");
      continue;
    }
    binder.BindText(kv.substr(0, eq), std::string_view(kv).substr(eq + 1));
  }
  StatusOr<ParamMap> params = binder.Finish();
  if (!params.ok()) errors.push_back(params.status().message());
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "; ") + e;
    return InvalidArgumentError(msg);
  }
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : *params) j[k] = nlohmann::json::parse(ParamValueToJson(v));
  return j;
}

int Exec(const ExecOptions& o) {
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  StatusOr<const LoadedPlugin*> plugin = catalog.Find(o.plugin);
  if (!plugin.ok()) {
    std::cerr << "securemark: " << plugin.status().message() << "\n";
    return kExitFailed;
  }
  StatusOr<nlohmann::json> params = ParamsJson((*plugin)->contract(), o.with);
  if (!params.ok()) {
    std::cerr << "securemark: " << params.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<std::string> argv = {SiblingExecutable("securemark-host"),
                                   "run",
                                   "--plugin",
                                   o.plugin,
                                   "--library",
                                   (*plugin)->library(),
                                   "--params",
                                   params->dump(),
                                   "--output-dir",
                                   o.output_dir};
  for (const auto& in : o.inputs) {
    argv.push_back("--input");
    argv.push_back(in);
  }
  StatusOr<ProcessResult> result = RunProcess(argv, /*capture_stdout=*/false);
  if (!result.ok()) {
    std::cerr << "securemark: " << result.status().message() << "\n";
    return kExitFailed;
  }
  if (result->signal != 0) {
    std::cerr << "securemark: plugin host for " << o.plugin << " was killed by signal "
              << result->signal << "\n";
    return kExitFailed;
  }
  if (result->exit_code != 0) return kExitFailed;  // the host printed why
  StatusOr<std::string> manifest =
      ReadFile((std::filesystem::path(o.output_dir) / "manifest.json").string());
  if (!manifest.ok()) {
    std::cerr << "securemark: " << manifest.status().message() << "\n";
    return kExitFailed;
  }
  for (const auto& out : nlohmann::json::parse(*manifest)) {
    std::cout << out["port"].get<std::string>() << "[" << out["index"].get<int>() << "] "
              << out["type"].get<std::string>() << " " << out["bytes"].get<size_t>() << " bytes -> "
              << (std::filesystem::path(o.output_dir) / out["file"].get<std::string>()).string()
              << (out["secret"].get<bool>() ? " (secret)" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddExecCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ExecOptions>();
  auto* exec = app.add_subcommand(
      "exec",
      "Run one plugin once on files, in its own host process\n"
      "Example: securemark exec dataset.idx --with split=test --with limit=1000 --out out/\n"
      "         securemark exec dataset.partition --in data=out/dataset.0.Dataset --out shards/");
  exec->add_option("name", options->plugin, "Plugin name (role.name)")->required();
  exec->add_option("--with,-w", options->with, "Parameter KEY=VALUE (repeatable)");
  exec->add_option("--in,-i", options->inputs, "Input PORT=FILE (repeatable)");
  exec->add_option("--out,-o", options->output_dir, "Output directory")->required();
  exec->callback([&exit_code, options] { exit_code = Exec(*options); });
}

}  // namespace securemark::cli
