#include "loader/plugin_catalog.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "exec/local_context.h"

namespace securemark {
namespace {

const std::string kGood = std::string(SECUREMARK_BUILD_DIR) + "/test-plugins/good";
const std::string kBad = std::string(SECUREMARK_BUILD_DIR) + "/test-plugins/bad";

const DiscoveryProblem* ProblemFor(const PluginCatalog& catalog, const std::string& file) {
  for (const auto& p : catalog.problems()) {
    if (p.path.find(file) != std::string::npos) return &p;
  }
  return nullptr;
}

TEST(PluginCatalogTest, ReadsDeclaredPluginsFromTheSymbolTable) {
  StatusOr<std::vector<DeclaredPlugin>> declared = DeclaredPlugins(kGood + "/testing_echo.so");
  ASSERT_TRUE(declared.ok()) << declared.status();
  ASSERT_EQ(declared->size(), 1u);
  EXPECT_EQ((*declared)[0].name, "testing.echo");
  EXPECT_EQ((*declared)[0].symbol, "securemark_v2__testing__echo");
}

TEST(PluginCatalogTest, BadLibrariesAreReportedAndGoodOnesStillLoad) {
  PluginCatalog catalog = PluginCatalog::Discover({kBad, kGood});
  ASSERT_EQ(catalog.Names(), std::vector<std::string>{"testing.echo"});

  const DiscoveryProblem* old_abi = ProblemFor(catalog, "testing_old_abi.so");
  ASSERT_NE(old_abi, nullptr);
  EXPECT_NE(old_abi->reason.find("built for plugin ABI v0"), std::string::npos) << old_abi->reason;

  const DiscoveryProblem* not_plugin = ProblemFor(catalog, "testing_not_a_plugin.so");
  ASSERT_NE(not_plugin, nullptr);
  EXPECT_NE(not_plugin->reason.find("declares no plugin"), std::string::npos);

  const DiscoveryProblem* not_elf = ProblemFor(catalog, "not_elf.so");
  ASSERT_NE(not_elf, nullptr);
  EXPECT_NE(not_elf->reason.find("not a shared library"), std::string::npos);
}

TEST(PluginCatalogTest, MissingDirectoriesAreSkipped) {
  PluginCatalog catalog = PluginCatalog::Discover({"/nonexistent/plugins", kGood});
  EXPECT_EQ(catalog.plugins().size(), 1u);
  EXPECT_TRUE(catalog.problems().empty());
}

TEST(PluginCatalogTest, UnknownNameListsTheClosestAndKnownOnes) {
  PluginCatalog catalog = PluginCatalog::Discover({kGood});
  StatusOr<const LoadedPlugin*> r = catalog.Find("testing.ecoh");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("did you mean 'testing.echo'?"), std::string::npos)
      << r.status();
}

TEST(PluginCatalogTest, ContractIsReadThroughTheAbi) {
  PluginCatalog catalog = PluginCatalog::Discover({kGood});
  const LoadedPlugin* echo = *catalog.Find("testing.echo");
  EXPECT_EQ(echo->contract().version(), "1.2.3");
  EXPECT_EQ(echo->contract().name(), "testing.echo");
  EXPECT_EQ(echo->contract().params().size(), 7u);
}

TEST(PluginCatalogTest, SearchPathHonoursTheEnvironmentFirst) {
  setenv("SECUREMARK_PLUGIN_PATH", "/a:/b::/c", 1);
  std::vector<std::string> path = DefaultPluginSearchPath();
  unsetenv("SECUREMARK_PLUGIN_PATH");
  ASSERT_GE(path.size(), 4u);
  EXPECT_EQ(path[0], "/a");
  EXPECT_EQ(path[1], "/b");
  EXPECT_EQ(path[2], "/c");
  EXPECT_NE(path[3].find("plugins"), std::string::npos);
}

}  // namespace
}  // namespace securemark
