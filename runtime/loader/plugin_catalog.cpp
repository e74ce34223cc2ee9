#include "loader/plugin_catalog.h"

#include <mutex>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "securemark/context.h"
#include "securemark/files.h"
#include "securemark/suggestions.h"

namespace securemark {
namespace fs = std::filesystem;
namespace {

void AppendMessage(void* sink, const char* message) { *static_cast<std::string*>(sink) += message; }

bool LooksLikeElf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

}  // namespace

std::vector<std::string> DefaultPluginSearchPath() {
  std::vector<std::string> path;
  if (const char* env = std::getenv("SECUREMARK_PLUGIN_PATH")) {
    std::string entry;
    for (const char* p = env;; ++p) {
      if (*p == ':' || *p == '\0') {
        if (!entry.empty()) path.push_back(entry);
        entry.clear();
        if (*p == '\0') break;
      } else {
        entry += *p;
      }
    }
  }
  std::string exe_dir = ExecutableDirectory();
  if (!exe_dir.empty()) path.push_back((fs::path(exe_dir) / ".." / "plugins").lexically_normal());
  return path;
}

StatusOr<std::vector<DeclaredPlugin>> DeclaredPlugins(const std::string& library_path) {
  if (!LooksLikeElf(library_path)) {
    return InvalidArgumentError("not a shared library (no ELF header)");
  }
  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(library_path);
    symbols = info.symbols(SECUREMARK_PLUGIN_SECTION);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("unreadable symbol table: ") + e.what());
  }
  const std::string prefix = SECUREMARK_SYMBOL_PREFIX;
  const std::string ours = prefix + std::to_string(SECUREMARK_ABI_VERSION) + "__";
  std::vector<DeclaredPlugin> declared;
  for (const std::string& symbol : symbols) {
    if (symbol.rfind(prefix, 0) != 0) continue;
    if (symbol.rfind(ours, 0) != 0) {
      std::string version = symbol.substr(prefix.size(), symbol.find("__") - prefix.size());
      return FailedPreconditionError(
          "built for plugin ABI v" + version + ", but this securemark speaks ABI v" +
          std::to_string(SECUREMARK_ABI_VERSION) + "; rebuild it against the current SDK");
    }
    std::string rest = symbol.substr(ours.size());
    size_t sep = rest.find("__");
    if (sep == std::string::npos) continue;
    declared.push_back({rest.substr(0, sep) + "." + rest.substr(sep + 2),
                        fs::absolute(library_path).lexically_normal().string(), symbol});
  }
  if (declared.empty()) {
    return NotFoundError("not a securemark plugin library (declares no plugin)");
  }
  return declared;
}

NodeInstance::~NodeInstance() {
  if (node_ != nullptr) entry_->destroy(node_);
}

Status NodeInstance::Invoke(int phase, Context& ctx) {
  std::string error;
  int code = entry_->invoke(node_, phase, &ctx, &AppendMessage, &error);
  if (code == 0) return OkStatus();
  return Status(static_cast<StatusCode>(code), error);
}

StatusOr<std::unique_ptr<NodeInstance>> LoadedPlugin::Create() const {
  std::string error;
  void* node = entry_->create(&AppendMessage, &error);
  if (node == nullptr) return InternalError(name() + ": cannot create node: " + error);
  return std::make_unique<NodeInstance>(entry_, node);
}

namespace {

// Libraries are deliberately never unloaded (see header). They are kept reachable from
// here, so leak checkers know they are held on purpose.
boost::dll::shared_library& KeepLoaded(const std::string& path) {
  static std::mutex mutex;
  static auto* libraries = new std::vector<std::unique_ptr<boost::dll::shared_library>>();
  auto library = std::make_unique<boost::dll::shared_library>(path);
  std::lock_guard<std::mutex> lock(mutex);
  libraries->push_back(std::move(library));
  return *libraries->back();
}

}  // namespace

StatusOr<LoadedPlugin> LoadPlugin(const DeclaredPlugin& declared) {
  const SmPluginEntry* entry = nullptr;
  try {
    boost::dll::shared_library& library = KeepLoaded(declared.library);
    entry = library.get_alias<const SmPluginEntry*()>(declared.symbol)();
  } catch (const std::exception& e) {
    return UnavailableError(std::string("cannot load: ") + e.what());
  }
  if (entry == nullptr) return InternalError("plugin entry is null");
  if (entry->abi_version != SECUREMARK_ABI_VERSION) {
    return FailedPreconditionError("entry reports ABI v" + std::to_string(entry->abi_version) +
                                   ", expected v" + std::to_string(SECUREMARK_ABI_VERSION));
  }
  std::string text;
  int code = entry->describe(&AppendMessage, &text);
  if (code != 0) {
    return Status(static_cast<StatusCode>(code), "cannot describe " + declared.name + ": " + text);
  }
  StatusOr<Contract> contract = Contract::FromJson(text);
  if (!contract.ok()) return contract.status().WithContext("contract of " + declared.name);
  return LoadedPlugin(declared, entry, *std::move(contract));
}

PluginCatalog PluginCatalog::Discover(const std::vector<std::string>& search_path) {
  PluginCatalog catalog;
  std::set<std::string> seen_names;
  std::set<std::string> seen_files;
  for (const std::string& dir : search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec) && entry.path().extension() == ".so") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::string canonical = fs::weakly_canonical(file, ec).string();
      if (!seen_files.insert(canonical).second) continue;
      StatusOr<std::vector<DeclaredPlugin>> declared = DeclaredPlugins(file.string());
      if (!declared.ok()) {
        catalog.problems_.push_back({file.string(), declared.status().message()});
        continue;
      }
      for (const DeclaredPlugin& d : *declared) {
        if (seen_names.count(d.name)) {
          catalog.problems_.push_back(
              {file.string(), "plugin " + d.name + " is shadowed by an earlier directory"});
          continue;
        }
        StatusOr<LoadedPlugin> loaded = LoadPlugin(d);
        if (!loaded.ok()) {
          catalog.problems_.push_back({file.string(), loaded.status().message()});
          continue;
        }
        seen_names.insert(d.name);
        catalog.plugins_.push_back(*std::move(loaded));
      }
    }
  }
  std::sort(catalog.plugins_.begin(), catalog.plugins_.end(),
            [](const LoadedPlugin& a, const LoadedPlugin& b) { return a.name() < b.name(); });
  return catalog;
}

std::vector<std::string> PluginCatalog::Names() const {
  std::vector<std::string> names;
  for (const auto& p : plugins_) names.push_back(p.name());
  return names;
}

StatusOr<const LoadedPlugin*> PluginCatalog::Find(const std::string& name) const {
  for (const auto& p : plugins_) {
    if (p.name() == name) return &p;
  }
  std::string msg = "unknown plugin '" + name + "'" + DidYouMean(name, Names(), 3);
  msg += " (known: ";
  std::vector<std::string> names = Names();
  for (size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : "") + names[i];
  msg += names.empty() ? "none)" : ")";
  return NotFoundError(msg);
}

}  // namespace securemark
