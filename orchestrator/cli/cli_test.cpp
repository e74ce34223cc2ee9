// Runs the built `securemark` binary as a user would.
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

CliRun Securemark(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + kBuild + "/bin/securemark " + args + " 2>&1";
  StatusOr<ProcessResult> r = RunProcess({"/bin/sh", "-c", cmd}, true);
  EXPECT_TRUE(r.ok()) << r.status();
  return {r->exit_code, r->output};
}

// Every command, found from the top-level help down, shows an example in its --help.
TEST(CliTest, EveryCommandsHelpHasAnExample) {
  std::vector<std::string> pending = {""}, seen;
  while (!pending.empty()) {
    const std::string command = pending.back();
    pending.pop_back();
    CliRun r = Securemark(command + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.output.find("Example: securemark"), std::string::npos) << command << r.output;
    seen.push_back(command);
    const size_t list = r.output.find("Subcommands:");
    if (list == std::string::npos) continue;
    std::istringstream lines(r.output.substr(list));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      if (line.size() < 3 || line[0] != ' ' || line[2] == ' ') continue;  // wrapped text
      std::istringstream words(line);
      std::string name;
      words >> name;
      pending.push_back(command.empty() ? name : command + " " + name);
    }
  }
  EXPECT_GE(seen.size(), 18u);
}

TEST(CliTest, PluginsListsBuiltInPluginsWithRoleAndVersion) {
  CliRun r = Securemark("plugins");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dataset.idx"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dataset.partition"), std::string::npos);
  EXPECT_NE(r.output.find("1.0.0"), std::string::npos);
}

TEST(CliTest, PluginsJsonReportsBrokenLibrariesAndKeepsTheRest) {
  std::string env =
      "SECUREMARK_PLUGIN_PATH=" + kBuild + "/test-plugins/bad:" + kBuild + "/test-plugins/good";
  StatusOr<ProcessResult> r =
      RunProcess({"/bin/sh", "-c", env + " " + kBuild + "/bin/securemark plugins --json"}, true);
  ASSERT_TRUE(r.ok());
  auto j = nlohmann::json::parse(r->output);
  std::vector<std::string> names;
  for (const auto& p : j["plugins"]) names.push_back(p["name"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "testing.echo"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "dataset.idx"), names.end());
  std::string problems = j["problems"].dump();
  EXPECT_NE(problems.find("testing_old_abi.so"), std::string::npos) << problems;
  EXPECT_NE(problems.find("built for plugin ABI v0"), std::string::npos) << problems;
  EXPECT_NE(problems.find("not_elf.so"), std::string::npos) << problems;
}

TEST(CliTest, DescribePrintsTheFullContract) {
  CliRun r = Securemark("describe dataset.partition");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected : {"inputs:", "data", "Dataset", "outputs:", "shards", "Dataset[*]",
                               "params:", "count", "Range [1, 4096]", "One of: iid dirichlet"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
}

TEST(CliTest, UnknownPluginIsAnsweredWithTheClosestNames) {
  CliRun r = Securemark("describe dataset.idk");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("did you mean 'dataset.idx'"), std::string::npos) << r.output;
}

TEST(CliTest, ExecChainsTwoPluginsInHostProcesses) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  std::string dir = testing::TempDir() + "/cli_exec";
  std::filesystem::remove_all(dir);
  CliRun idx =
      Securemark("exec dataset.idx --with split=test --with limit=500 --out " + dir + "/a");
  ASSERT_EQ(idx.exit_code, 0) << idx.output;
  EXPECT_NE(idx.output.find("dataset[0] Dataset"), std::string::npos) << idx.output;
  CliRun part = Securemark("exec dataset.partition --with count=5 --in data=" + dir +
                           "/a/dataset.0.Dataset --out " + dir + "/b");
  ASSERT_EQ(part.exit_code, 0) << part.output;
  EXPECT_NE(part.output.find("shards[4] Dataset"), std::string::npos) << part.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/b/manifest.json"));
}

TEST(CliTest, ExecRejectsBadParametersBeforeStartingAHost) {
  CliRun r = Securemark("exec dataset.partition --with count=0 --with shceme=iid --out /tmp/x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("'count' = 0 is outside [1, 4096]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'scheme'"), std::string::npos) << r.output;
}

TEST(CliTest, ExecReportsPluginFailuresWithTheFile) {
  CliRun r = Securemark("exec dataset.idx --with images=/nonexistent.idx --with labels=/x --out " +
                        testing::TempDir() + "/cli_fail");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent.idx"), std::string::npos) << r.output;
}

TEST(CliTest, BadUsageExitsWithTwo) {
  EXPECT_EQ(Securemark("plugins --no-such-flag").exit_code, 2);
  EXPECT_EQ(Securemark("").exit_code, 2);
  auto unknown = Securemark("tarce x.pt");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown command 'tarce'; the commands are"), std::string::npos)
      << unknown.output;
  EXPECT_NE(unknown.output.find("trace"), std::string::npos) << unknown.output;
}

// Each kind of error has its exit code and says what is wrong: the command line (2) or
// what it points at (1).
TEST(CliTest, EveryKindOfErrorHasItsCodeAndMessage) {
  const std::string quickstart = std::string(SECUREMARK_SOURCE_DIR) + "/pipelines/quickstart.yaml";
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"tarce x.pt", 2, "unknown command 'tarce'"},
      {"plugins --no-such-flag", 2, "--no-such-flag"},
      {"run x.yaml --jobs 0", 2, "--jobs"},
      {"trace x.pt --false-accusation nan", 2, "not a finite number"},
      {"exec dataset.idx --with limit=abc --out /tmp/x", 2, "limit"},
      {"validate " + quickstart + " --set owners", 2, "KEY=VALUE"},
      {"validate " + quickstart + " --set owners=abc", 1,
       "range() needs an integer in [0, 1000000], got params.owners = \"abc\""},
      {"validate /nonexistent.yaml", 1, "/nonexistent.yaml"},
      {"show a1 --store /nonexistent-store", 1, "/nonexistent-store"},
      {"run " + quickstart + " --executor kubernetes", 2, "--executor"},
      {"validate " + quickstart + " --partition cpu", 2,
       "--partition applies to Slurm host jobs; add --executor slurm"},
      {"run " + quickstart + " --max-hosts 8", 2,
       "--max-hosts applies to Slurm host jobs; add --executor slurm"},
      {"run " + quickstart + " --executor slurm --host-time soon", 2,
       "--host-time: expected a duration like 30m, 2h or 1-00:00:00, got 'soon'"},
      {"validate " + quickstart + " --executor slurm --host-idle 0", 2,
       "--host-idle: expected a duration"},
  };
  for (const auto& [args, code, message] : cases) {
    auto r = Securemark(args);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
  }
}

// --executor slurm where Slurm's commands are missing says so before anything is stored.
TEST(CliTest, SlurmExecutorWithoutSlurmCommandsIsRefused) {
  const std::string quickstart = std::string(SECUREMARK_SOURCE_DIR) + "/pipelines/quickstart.yaml";
  const std::string store = testing::TempDir() + "/no_slurm_store";
  std::filesystem::remove_all(store);
  auto r =
      Securemark("run " + quickstart + " --executor slurm --store " + store, "PATH=/nonexistent");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--executor slurm: sbatch, squeue or scancel is not on PATH"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(store));
}

// A key pair is never overwritten by accident, and a name is required.
TEST(CliTest, KeysNewRefusesToOverwriteAndEmptyNames) {
  const std::string dir = testing::TempDir() + "/keys";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ASSERT_EQ(Securemark("keys new " + dir + "/lab").exit_code, 0);
  auto before = ReadFile(dir + "/lab.key");
  ASSERT_TRUE(before.ok());
  auto again = Securemark("keys new " + dir + "/lab");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("lab.key exists"), std::string::npos) << again.output;
  EXPECT_EQ(*ReadFile(dir + "/lab.key"), *before);
  EXPECT_EQ(Securemark("keys new " + dir + "/lab --force").exit_code, 0);
  EXPECT_NE(*ReadFile(dir + "/lab.key"), *before);
  EXPECT_EQ(Securemark("keys new ''").exit_code, 2);
  EXPECT_EQ(Securemark("keys new " + dir + "/").exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/.key"));
}

// NaN compares false with both bounds of a range: every numeric option refuses it (and
// infinities) as bad usage, before anything runs.
TEST(CliTest, NumericOptionsRefuseNanAndInfinity) {
  for (const char* value : {"nan", "NaN", "inf", "-inf", "1e999"}) {
    auto run = Securemark(std::string("run x.yaml --heartbeat-timeout ") + value);
    EXPECT_EQ(run.exit_code, 2) << value << ": " << run.output;
    EXPECT_NE(run.output.find("not a finite number"), std::string::npos) << run.output;
    auto trace = Securemark(std::string("trace x.pt --false-accusation ") + value);
    EXPECT_EQ(trace.exit_code, 2) << value << ": " << trace.output;
  }
  EXPECT_EQ(Securemark("trace x.pt --false-accusation 0.7").exit_code, 2);
}

TEST(CliTest, DoctorReportsAnOptimisedBlas) {
  if (!std::filesystem::exists(kBuild + "/plugins/server_trainer_standalone.so"))
    GTEST_SKIP() << "built without LibTorch";
  StatusOr<ProcessResult> r =
      RunProcess({kBuild + "/bin/securemark", "doctor", "--json"}, /*capture_stdout=*/true);
  ASSERT_TRUE(r.ok());
  auto j = nlohmann::json::parse(r->output);
  ASSERT_TRUE(j["torch"].is_object()) << r->output;
  EXPECT_TRUE(j["torch"]["blas_optimised"].get<bool>()) << j["torch"].dump();
  EXPECT_GE(j["torch"]["intra_op_threads"].get<int>(), 1);
  EXPECT_FALSE(j["torch"]["blas_libraries"].empty());
}

}  // namespace
}  // namespace securemark
