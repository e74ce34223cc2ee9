// Finds plugin libraries, reads which plugins they declare without running their code,
// and loads them with an ABI check. A broken library is reported and skipped; the rest
// still load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "securemark/contract.h"
#include "securemark/plugin_abi.h"
#include "securemark/status.h"

namespace securemark {

class Context;

// Directories searched, in order: SECUREMARK_PLUGIN_PATH (colon-separated), then
// <directory of the running executable>/../plugins.
std::vector<std::string> DefaultPluginSearchPath();

// A plugin declared by a library's symbol table (nothing has been loaded yet).
struct DeclaredPlugin {
  std::string name;     // "role.name"
  std::string library;  // absolute path
  std::string symbol;
};

struct DiscoveryProblem {
  std::string path;
  std::string reason;
};

// Reads the plugin symbols of one file. A file that is not a shared library, declares no
// plugins, or was built for another ABI gives an error naming the path and the reason.
StatusOr<std::vector<DeclaredPlugin>> DeclaredPlugins(const std::string& library_path);

// One node instance inside a loaded library. Calls never throw.
class NodeInstance {
 public:
  NodeInstance(const SmPluginEntry* entry, void* node) : entry_(entry), node_(node) {}
  ~NodeInstance();
  NodeInstance(const NodeInstance&) = delete;
  NodeInstance& operator=(const NodeInstance&) = delete;

  Status Open(Context& ctx) { return Invoke(SM_PHASE_OPEN, ctx); }
  Status Process(Context& ctx) { return Invoke(SM_PHASE_PROCESS, ctx); }
  Status Close(Context& ctx) { return Invoke(SM_PHASE_CLOSE, ctx); }

 private:
  Status Invoke(int phase, Context& ctx);
  const SmPluginEntry* entry_;
  void* node_;
};

// A plugin whose library is loaded and whose ABI has been checked.
class LoadedPlugin {
 public:
  LoadedPlugin(DeclaredPlugin declared, const SmPluginEntry* entry, Contract contract)
      : declared_(std::move(declared)), entry_(entry), contract_(std::move(contract)) {}

  const std::string& name() const { return declared_.name; }
  const std::string& library() const { return declared_.library; }
  const Contract& contract() const { return contract_; }
  StatusOr<std::unique_ptr<NodeInstance>> Create() const;

 private:
  DeclaredPlugin declared_;
  const SmPluginEntry* entry_;
  Contract contract_;
};

// Loads the library (it stays loaded until the process exits: libraries that link
// LibTorch must never be unloaded) and reads the plugin's contract.
StatusOr<LoadedPlugin> LoadPlugin(const DeclaredPlugin& declared);

class PluginCatalog {
 public:
  // Scans every directory (non-existent ones are skipped) and loads every plugin.
  static PluginCatalog Discover(const std::vector<std::string>& search_path);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<DiscoveryProblem>& problems() const { return problems_; }
  std::vector<std::string> Names() const;

  // The plugin called `name`, or NotFound listing the closest known names.
  StatusOr<const LoadedPlugin*> Find(const std::string& name) const;

 private:
  std::vector<LoadedPlugin> plugins_;
  std::vector<DiscoveryProblem> problems_;
};

}  // namespace securemark
