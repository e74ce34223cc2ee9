#include "host/one_shot.h"

#include <filesystem>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "loader/plugin_catalog.h"
#include "securemark/files.h"

namespace securemark {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

StatusOr<const LoadedPlugin*> FindPlugin(const OneShotOptions& options,
                                         std::unique_ptr<LoadedPlugin>& holder,
                                         PluginCatalog& catalog) {
  if (options.library.empty()) {
    catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
    return catalog.Find(options.plugin);
  }
  SM_ASSIGN_OR_RETURN(auto declared, DeclaredPlugins(options.library));
  for (const auto& d : declared) {
    if (d.name != options.plugin) continue;
    SM_ASSIGN_OR_RETURN(LoadedPlugin loaded, LoadPlugin(d));
    holder = std::make_unique<LoadedPlugin>(std::move(loaded));
    return holder.get();
  }
  return NotFoundError(options.library + " does not declare plugin '" + options.plugin + "'");
}

}  // namespace

std::string TypeFromFileName(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  return ext.empty() ? std::string() : ext.substr(1);
}

Status RunOneShot(const OneShotOptions& options) {
  std::unique_ptr<LoadedPlugin> holder;
  PluginCatalog catalog;
  SM_ASSIGN_OR_RETURN(const LoadedPlugin* plugin, FindPlugin(options, holder, catalog));
  SM_ASSIGN_OR_RETURN(ParamMap params, plugin->contract().ParamsFromJson(options.params_json));

  InputValues inputs;
  for (const std::string& spec : options.inputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("--input expects PORT=FILE, got '" + spec + "'");
    }
    std::string port = spec.substr(0, eq);
    std::string file = spec.substr(eq + 1);
    SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
    std::string type = TypeFromFileName(file);
    if (const PortSpec* p = plugin->contract().FindInput(port); p && type.empty()) type = p->type;
    inputs[port].push_back({type, std::move(bytes), false});
  }

  ExecutionHooks hooks;
  hooks.progress = [&](double done, double total, std::string_view what) {
    std::cerr << plugin->name() << " progress: " << done << "/" << total << " " << what << "\n";
  };
  StatusOr<std::vector<OutputValue>> outputs = RunNode(*plugin, params, std::move(inputs), hooks);
  if (!outputs.ok()) return outputs.status().WithContext(plugin->name());

  std::error_code ec;
  fs::create_directories(options.output_dir, ec);
  if (ec) return PermissionDeniedError(options.output_dir + ": " + ec.message());
  json manifest = json::array();
  for (const OutputValue& out : *outputs) {
    std::string file = out.port + "." + std::to_string(out.index) + "." + out.value.type;
    SM_RETURN_IF_ERROR(WriteFileAtomic((fs::path(options.output_dir) / file).string(),
                                       out.value.bytes, out.value.secret ? 0600 : 0644));
    manifest.push_back({{"port", out.port},
                        {"index", out.index},
                        {"type", out.value.type},
                        {"file", file},
                        {"bytes", out.value.bytes.size()},
                        {"secret", out.value.secret},
                        {"labels", out.labels}});
  }
  return WriteFileAtomic((fs::path(options.output_dir) / "manifest.json").string(),
                         manifest.dump(2) + "\n");
}

}  // namespace securemark
