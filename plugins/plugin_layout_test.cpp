// The plugin tree keeps its boundaries: plugin code sees the runtime only through the
// installed SDK headers (securemark/...), a role folder includes only common/ and its
// own files, and every role folder holds its own unit tests.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
const fs::path kPlugins = fs::path(SECUREMARK_SOURCE_DIR) / "plugins";

bool IsSource(const fs::path& p) { return p.extension() == ".cpp" || p.extension() == ".h"; }
// Tests, benchmarks and their fixtures may use the runtime's internals.
bool IsTestCode(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.find("_test.") != std::string::npos || name.find("_bench.") != std::string::npos ||
         p.string().find("/plugin_testing/") != std::string::npos;
}

// Every quoted include of the plugin tree's shipped code: "file:line: path".
std::vector<std::pair<std::string, std::string>> QuotedIncludes() {
  std::vector<std::pair<std::string, std::string>> found;
  const std::regex include(R"(^\s*#\s*include\s+"([^"]+)\")");
  for (const auto& entry : fs::recursive_directory_iterator(kPlugins)) {
    if (!entry.is_regular_file() || !IsSource(entry.path()) || IsTestCode(entry.path())) continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (std::regex_search(line, m, include))
        found.emplace_back(fs::relative(entry.path(), kPlugins).string() + ":" + std::to_string(n),
                           m[1].str());
    }
  }
  return found;
}

TEST(PluginLayoutTest, PluginCodeSeesTheRuntimeOnlyThroughTheSdk) {
  const std::set<std::string> internal = {"util", "exec", "loader", "transport", "party", "host"};
  std::string offences;
  size_t includes = 0;
  for (const auto& [where, path] : QuotedIncludes()) {
    ++includes;
    const std::string first = path.substr(0, path.find('/'));
    if (path.find('/') != std::string::npos && internal.count(first))
      offences += where + ": " + path + "\n";
  }
  EXPECT_GT(includes, 100u);  // the scan saw the tree
  EXPECT_TRUE(offences.empty()) << "runtime internals included by plugins:\n" << offences;
}

TEST(PluginLayoutTest, RoleFoldersIncludeOnlyCommonAndTheirOwnFiles) {
  std::set<std::string> common;
  for (const auto& entry : fs::directory_iterator(kPlugins / "common"))
    if (entry.is_directory()) common.insert(entry.path().filename().string());
  ASSERT_TRUE(common.count("models"));
  std::string offences;
  for (const auto& [where, path] : QuotedIncludes()) {
    const std::string folder = where.substr(0, where.find('/'));
    const size_t slash = path.find('/');
    if (slash == std::string::npos) {
      // A file of the including folder itself.
      const fs::path dir = (kPlugins / where.substr(0, where.rfind(':'))).parent_path();
      if (!fs::exists(dir / path)) offences += where + ": " + path + " (not in its folder)\n";
      continue;
    }
    const std::string first = path.substr(0, slash);
    if (first != "securemark" && !common.count(first)) offences += where + ": " + path + "\n";
  }
  EXPECT_TRUE(offences.empty()) << "includes outside common/ and securemark/:\n" << offences;
}

TEST(PluginLayoutTest, EveryRoleFolderHoldsItsOwnTests) {
  std::string missing;
  for (const auto& role : fs::directory_iterator(kPlugins)) {
    if (!role.is_directory() || role.path().filename() == "common") continue;
    bool tested = false;
    for (const auto& file : fs::directory_iterator(role.path()))
      tested |= file.path().filename().string().find("_test.cpp") != std::string::npos;
    if (!tested) missing += role.path().filename().string() + " ";
  }
  EXPECT_TRUE(missing.empty()) << "role folders without tests: " << missing;
}

}  // namespace
