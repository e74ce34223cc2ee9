// `securemark lineage / show / gc / store check` on a real store.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "securemark/files.h"
#include "store.h"
#include "util/process.h"

namespace securemark {
namespace {

using namespace securemark::store;

struct Result {
  int exit_code;
  std::string output;
};

Result Cli(const std::string& args) {
  auto r = RunProcess(
      {"/bin/sh", "-c", std::string(SECUREMARK_BUILD_DIR) + "/bin/securemark " + args + " 2>&1"},
      true);
  EXPECT_TRUE(r.ok());
  return {r->exit_code, r->output};
}

class StoreCommandsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/store_commands_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto s = std::move(Store::Open(dir_)).value();
    raw_ = *s->PutArtifact("Dataset", "raw data", false);
    int64_t e = *s->BeginExecution(NewExecution::Of("dataset.partition", "split"));
    shard_ = *s->StageOutput(e, "Dataset", "shard", false);
    ASSERT_TRUE(s->CompleteExecution(e, {{raw_, "data"}}, {{shard_, "shards[0]"}}).ok());
    exec_ = e;
    digest_ = s->GetArtifact(shard_)->digest;
    int64_t failed = *s->BeginExecution(NewExecution::Of("testing.broken"));
    (void)*s->StageOutput(failed, "Blob", "half-written output", false);
    ASSERT_TRUE(s->FailExecution(failed, "plugin crashed").ok());
  }
  std::string Store() { return " --store " + dir_; }

  std::string dir_, digest_;
  int64_t raw_ = 0, shard_ = 0, exec_ = 0;
};

TEST_F(StoreCommandsTest, LineageInEachFormat) {
  Result text = Cli("lineage a" + std::to_string(shard_) + " --upstream" + Store());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("dataset.partition (split) COMPLETE"), std::string::npos)
      << text.output;
  Result dot = Cli("lineage " + digest_.substr(0, 8) + " --format dot" + Store());
  ASSERT_EQ(dot.exit_code, 0) << dot.output;
  EXPECT_NE(dot.output.find("digraph lineage"), std::string::npos);
  Result ol = Cli("lineage e" + std::to_string(exec_) + " --format openlineage" + Store());
  ASSERT_EQ(ol.exit_code, 0) << ol.output;
  auto events = nlohmann::json::parse(ol.output);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["eventType"], "COMPLETE");
  EXPECT_EQ(events[0]["outputs"][0]["facets"]["version"]["datasetVersion"], "sha256:" + digest_);
}

TEST_F(StoreCommandsTest, ShowArtifactAndExecution) {
  Result a = Cli("show a" + std::to_string(shard_) + Store());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("produced by e" + std::to_string(exec_)), std::string::npos) << a.output;
  Result e = Cli("show e" + std::to_string(exec_) + Store());
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_NE(e.output.find("input  data = a" + std::to_string(raw_)), std::string::npos) << e.output;
  Result binary = Cli("show a" + std::to_string(shard_) + " --content" + Store());
  EXPECT_EQ(binary.exit_code, 1);
  EXPECT_NE(binary.output.find("--content prints Json artifacts only"), std::string::npos)
      << binary.output;
  Result execution = Cli("show e" + std::to_string(exec_) + " --content" + Store());
  EXPECT_NE(execution.output.find("needs an artifact"), std::string::npos) << execution.output;
}

TEST_F(StoreCommandsTest, BadIdsAndMissingStoresAreClearErrors) {
  Result bad = Cli("show a424242" + Store());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("no artifact 424242"), std::string::npos) << bad.output;
  Result nonsense = Cli("lineage what?" + Store());
  EXPECT_EQ(nonsense.exit_code, 1);
  EXPECT_NE(nonsense.output.find("is not an artifact or execution id"), std::string::npos);
  Result missing = Cli("store check --store " + dir_ + "/nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("no securemark store at"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/nope"));  // reading never creates a store
  EXPECT_EQ(Cli("lineage a1 --upstream --downstream" + Store()).exit_code, 2);
  EXPECT_EQ(Cli("lineage a1 --format svg" + Store()).exit_code, 2);
}

// A store on a read-only file system, or one this user may not write, is read and never
// changed: show, lineage and audit work, and gc says why it cannot.
TEST_F(StoreCommandsTest, AReadOnlyStoreIsReadAndNotWritten) {
  std::function<Result(const std::string&)> read_only;
  if (geteuid() == 0) {
    // File modes do not stop root: mount the store read-only in a private namespace.
    auto probe = RunProcess({"unshare", "-m", "true"}, true);
    if (!probe.ok() || probe->exit_code != 0) GTEST_SKIP() << "no mount namespace here";
    read_only = [this](const std::string& args) {
      auto r =
          RunProcess({"unshare", "-m", "sh", "-c",
                      "mount --bind -o ro " + dir_ + " " + dir_ + " && " +
                          std::string(SECUREMARK_BUILD_DIR) + "/bin/securemark " + args + " 2>&1"},
                     true);
      EXPECT_TRUE(r.ok());
      return Result{r->exit_code, r->output};
    };
  } else {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      chmod(entry.path().c_str(), entry.is_directory() ? 0500 : 0400);
    }
    chmod(dir_.c_str(), 0500);
    read_only = [](const std::string& args) { return Cli(args); };
  }
  const std::string before = *ReadFile(dir_ + "/metadata.sqlite");
  Result show = read_only("show a" + std::to_string(shard_) + Store());
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find(digest_), std::string::npos) << show.output;
  Result lineage = read_only("lineage a" + std::to_string(shard_) + " --upstream" + Store());
  EXPECT_EQ(lineage.exit_code, 0) << lineage.output;
  EXPECT_NE(lineage.output.find("dataset.partition (split) COMPLETE"), std::string::npos);
  Result audit = read_only("audit runs" + Store());
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
  Result gc = read_only("gc" + Store());
  EXPECT_EQ(gc.exit_code, 1) << gc.output;
  EXPECT_NE(gc.output.find("is read-only here"), std::string::npos) << gc.output;
  if (geteuid() != 0) {
    chmod(dir_.c_str(), 0700);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      chmod(entry.path().c_str(), entry.is_directory() ? 0700 : 0600);
    }
  }
  EXPECT_EQ(*ReadFile(dir_ + "/metadata.sqlite"), before);
  EXPECT_EQ(Cli("store check" + Store()).exit_code, 0);
}

TEST_F(StoreCommandsTest, CheckListsEachProblemAndGcFreesBytes) {
  Result ok = Cli("store check" + Store());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  Result gc = Cli("gc" + Store());
  ASSERT_EQ(gc.exit_code, 0) << gc.output;
  EXPECT_NE(gc.output.find("removed 1 unreferenced blobs"), std::string::npos) << gc.output;
  EXPECT_NE(gc.output.find("freed 19 bytes"), std::string::npos) << gc.output;
  auto s = std::move(Store::Open(dir_, false)).value();
  std::filesystem::remove(s->blobs().PathOf(digest_));
  Result broken = Cli("store check" + Store());
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("problem: artifact " + std::to_string(shard_)), std::string::npos)
      << broken.output;
}

}  // namespace
}  // namespace securemark
