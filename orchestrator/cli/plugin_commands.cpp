// `securemark plugins` and `securemark describe NAME`.
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "loader/plugin_catalog.h"

namespace securemark::cli {
namespace {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

void PrintProblems(const PluginCatalog& catalog) {
  for (const auto& p : catalog.problems()) {
    std::cerr << "warning: skipped " << p.path << ": " << p.reason << "\n";
  }
}

int ListPlugins(bool as_json) {
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  if (as_json) {
    nlohmann::json out = {{"plugins", nlohmann::json::array()},
                          {"problems", nlohmann::json::array()}};
    for (const auto& p : catalog.plugins()) {
      nlohmann::json c = nlohmann::json::parse(p.contract().ToJson());
      c["library"] = p.library();
      out["plugins"].push_back(c);
    }
    for (const auto& p : catalog.problems()) {
      out["problems"].push_back({{"path", p.path}, {"reason", p.reason}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  size_t width = 4;
  for (const auto& p : catalog.plugins()) width = std::max(width, p.name().size());
  std::cout << std::left << std::setw(width + 2) << "NAME" << std::setw(16) << "ROLE"
            << std::setw(10) << "VERSION"
            << "DESCRIPTION\n";
  for (const auto& p : catalog.plugins()) {
    const Contract& c = p.contract();
    std::cout << std::left << std::setw(width + 2) << c.name() << std::setw(16) << c.role()
              << std::setw(10) << c.version() << FirstLine(c.doc()) << "\n";
  }
  if (catalog.plugins().empty()) {
    std::cerr << "no plugins found; searched:";
    for (const auto& d : DefaultPluginSearchPath()) std::cerr << " " << d;
    std::cerr << "\n";
  }
  PrintProblems(catalog);
  return kExitOk;
}

std::string PortLine(const PortSpec& p) {
  std::ostringstream os;
  std::string type = p.type + (p.many() ? "[*]" : "");
  std::string flags;
  if (p.optional()) flags += " optional";
  if (p.secret()) flags += " secret";
  os << "  " << std::left << std::setw(18) << p.name << std::setw(14) << type << p.doc;
  if (!flags.empty()) os << " (" << flags.substr(1) << ")";
  return os.str();
}

std::string ParamLine(const ParamSpec& p) {
  std::ostringstream os;
  std::string type(ParamTypeName(p.type));
  std::string value = p.default_value ? "= " + ParamValueToText(*p.default_value) : "(required)";
  os << "  " << std::left << std::setw(18) << p.name << std::setw(10) << type << std::setw(22)
     << value + " " << p.doc;
  if (p.range) {
    os << " Range [" << ParamValueToText(p.range->min) << ", " << ParamValueToText(p.range->max)
       << "].";
  }
  if (!p.choices.empty()) {
    os << " One of:";
    for (const auto& c : p.choices) os << " " << c;
    os << ".";
  }
  if (p.secret) os << " [secret: shown as \"(secret)\", never stored]";
  return os.str();
}

int Describe(const std::string& name, bool as_json) {
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  StatusOr<const LoadedPlugin*> plugin = catalog.Find(name);
  if (!plugin.ok()) {
    std::cerr << "securemark: " << plugin.status().message() << "\n";
    return kExitFailed;
  }
  const Contract& c = (*plugin)->contract();
  if (as_json) {
    nlohmann::json j = nlohmann::json::parse(c.ToJson());
    j["library"] = (*plugin)->library();
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << c.name() << " " << c.version() << " (role " << c.role() << ")\n"
            << "  " << c.doc() << "\n  library: " << (*plugin)->library() << "\n";
  std::cout << "inputs:\n";
  if (c.inputs().empty()) std::cout << "  (none)\n";
  for (const auto& p : c.inputs()) std::cout << PortLine(p) << "\n";
  std::cout << "outputs:\n";
  if (c.outputs().empty()) std::cout << "  (none)\n";
  for (const auto& p : c.outputs()) std::cout << PortLine(p) << "\n";
  std::cout << "params:\n";
  if (c.params().empty()) std::cout << "  (none)\n";
  for (const auto& p : c.params()) std::cout << ParamLine(p) << "\n";
  return kExitOk;
}

}  // namespace

void AddPluginCommands(CLI::App& app, int& exit_code) {
  auto* plugins =
      app.add_subcommand("plugins", "List installed plugins\nExample: securemark plugins --json");
  auto* plugins_json = plugins->add_flag("--json", "Print contracts and problems as JSON");
  plugins->callback(
      [&exit_code, plugins_json] { exit_code = ListPlugins(plugins_json->count() > 0); });

  auto* describe = app.add_subcommand(
      "describe", "Print a plugin's full contract\nExample: securemark describe dataset.partition");
  auto name = std::make_shared<std::string>();
  describe->add_option("name", *name, "Plugin name (role.name)")->required();
  auto* describe_json = describe->add_flag("--json", "Print the contract as JSON");
  describe->callback([&exit_code, name, describe_json] {
    exit_code = Describe(*name, describe_json->count() > 0);
  });
}

}  // namespace securemark::cli
