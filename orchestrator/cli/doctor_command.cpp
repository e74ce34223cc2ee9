// `securemark doctor`: what this installation can do and what is wrong with it: plugin
// search path and load problems, data sets present, LibTorch's BLAS, threads and speed.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "loader/plugin_catalog.h"
#include "util/process.h"

namespace securemark::cli {
namespace {

int Doctor(bool as_json) {
  bool healthy = true;
  nlohmann::json report;
  report["plugin_search_path"] = DefaultPluginSearchPath();
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  report["plugins"] = catalog.Names();
  report["plugin_problems"] = nlohmann::json::array();
  for (const auto& p : catalog.problems()) {
    report["plugin_problems"].push_back({{"path", p.path}, {"reason", p.reason}});
  }
  report["fashion_mnist"] = std::filesystem::exists("/usr/share/datasets/fashion-mnist");

  StatusOr<ProcessResult> torch =
      RunProcess({SiblingExecutable("securemark-host"), "doctor"}, /*capture_stdout=*/true);
  if (torch.ok() && torch->exit_code == 0) {
    report["torch"] = nlohmann::json::parse(torch->output, nullptr, false);
    healthy &= report["torch"].value("blas_optimised", false);
  } else {
    report["torch"] = nullptr;
    healthy = false;
  }
  healthy &= catalog.problems().empty() && !catalog.plugins().empty();

  if (as_json) {
    std::cout << report.dump(2) << "\n";
    return healthy ? kExitOk : kExitFailed;
  }
  std::cout << "plugin search path:";
  for (const auto& d : report["plugin_search_path"]) std::cout << " " << d.get<std::string>();
  std::cout << "\nplugins: " << catalog.plugins().size() << " loaded, " << catalog.problems().size()
            << " problems\n";
  for (const auto& p : catalog.problems())
    std::cout << "  problem: " << p.path << ": " << p.reason << "\n";
  std::cout << "fashion-mnist: "
            << (report["fashion_mnist"].get<bool>()
                    ? "installed"
                    : "missing (apt-get install dataset-fashion-mnist)")
            << "\n";
  const auto& t = report["torch"];
  if (t.is_object()) {
    std::cout << "libtorch: " << t.value("torch_version", "?") << ", intra-op threads "
              << t.value("intra_op_threads", 0) << ", inter-op threads "
              << t.value("inter_op_threads", 0) << "\n";
    std::cout << "blas: ";
    for (const auto& lib : t["blas_libraries"]) std::cout << lib.get<std::string>() << " ";
    std::cout << "\n  threads " << t.value("blas_threads", 0) << ", "
              << (t.value("blas_optimised", false)
                      ? "optimised"
                      : "REFERENCE (slow): apt-get install libopenblas0-pthread")
              << ", sgemm 2048x2048: " << static_cast<int>(t.value("sgemm_2048_gflops", 0.0))
              << " GFLOP/s\n";
  } else {
    std::cout << "libtorch: the plugin host could not report ("
              << SiblingExecutable("securemark-host") << ")\n";
  }
  std::cout << (healthy ? "healthy\n" : "problems found\n");
  return healthy ? kExitOk : kExitFailed;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, int& exit_code) {
  auto* doctor = app.add_subcommand(
      "doctor",
      "Check the installation: plugins, data, BLAS and threads\nExample: securemark doctor");
  auto* as_json = doctor->add_flag("--json", "Print the report as JSON");
  doctor->callback([&exit_code, as_json] { exit_code = Doctor(as_json->count() > 0); });
}

}  // namespace securemark::cli
