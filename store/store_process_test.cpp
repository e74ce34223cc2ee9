// Several real processes share one store; writers are killed at random moments.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "sqlite.h"
#include "store.h"
#include "util/process.h"

namespace securemark::store {
namespace {

const std::string kWriter = std::string(SECUREMARK_BUILD_DIR) + "/test-bin/store_writer";

int64_t Count(Store& s, const std::string& sql) {
  auto stmt = s.db().Prepare(sql);
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(*stmt->Step());
  return stmt->Int(0);
}

TEST(StoreProcessTest, FourProcessesWriteFiveHundredExecutionsEach) {
  const std::string dir = testing::TempDir() + "/store_concurrency";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(Store::Open(dir).ok());  // created once, so writers race only on writes
  std::vector<int> pids;
  for (int i = 0; i < 4; ++i) pids.push_back(*StartProcess({kWriter, dir, "count", "500"}));
  for (int pid : pids) {
    ProcessResult r = *WaitProcess(pid);
    EXPECT_EQ(r.exit_code, 0) << "writer " << pid << " signal " << r.signal;
  }
  auto s = std::move(Store::Open(dir, false)).value();
  EXPECT_EQ(Count(*s, "SELECT count(*) FROM executions"), 2000);
  // Every 11th execution (i % 11 == 3) fails on purpose: 46 of each writer's 500.
  EXPECT_EQ(Count(*s, "SELECT count(*) FROM executions WHERE state='FAILED'"), 4 * 46);
  EXPECT_EQ(Count(*s, "SELECT count(*) FROM executions WHERE state='COMPLETE'"), 4 * 454);
  EXPECT_EQ(Count(*s, "SELECT count(*) FROM artifacts WHERE state='LIVE'"), 4 * 454);
  std::vector<std::string> problems = *s->Check();
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(StoreProcessTest, WritersKilledAtRandomMomentsNeverCorruptTheStore) {
  const std::string dir = testing::TempDir() + "/store_crash";
  std::filesystem::remove_all(dir);
  std::mt19937 rng(12345);
  int64_t live_before = 0;
  for (int round = 0; round < 50; ++round) {
    // Kill after the writer has finished a few executions (an event, however slow the
    // machine), at a random moment of the next ones.
    const std::string progress = dir + "-progress";
    std::filesystem::remove(progress);
    int pid = *StartProcess({kWriter, dir, "forever", progress});
    const uintmax_t wanted = 2 + rng() % 3;
    const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(std::filesystem::exists(progress) && std::filesystem::file_size(progress) >= wanted)) {
      ASSERT_LT(std::chrono::steady_clock::now(), bound) << "round " << round << ": no progress";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    ProcessResult r = *WaitProcess(pid);
    ASSERT_EQ(r.signal, SIGKILL) << "round " << round << ": the writer exited by itself";

    auto s = Store::Open(dir, false);
    if (!s.ok() && s.status().code() == StatusCode::kNotFound) continue;  // killed before creating
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.status();
    std::vector<std::string> problems = *(*s)->Check();
    ASSERT_TRUE(problems.empty()) << "round " << round << ": " << problems.front();
    // Nothing committed is ever lost.
    const int64_t live = Count(**s, "SELECT count(*) FROM artifacts WHERE state='LIVE'");
    EXPECT_GE(live, live_before) << "round " << round;
    live_before = live;
    // The killed writer's running execution is recovered and its staged output abandoned.
    ASSERT_TRUE((*s)->RecoverInterrupted().ok());
    EXPECT_EQ(Count(**s, "SELECT count(*) FROM executions WHERE state='RUNNING'"), 0);
    EXPECT_EQ(Count(**s, "SELECT count(*) FROM artifacts WHERE state='PENDING'"), 0);
  }
  auto s = std::move(Store::Open(dir, false)).value();
  GcReport gc = *s->CollectGarbage();
  EXPECT_TRUE(s->Check()->empty());
  EXPECT_TRUE(s->blobs().ListTempFiles().empty());
  // At least two executions per round, one in eleven failing on purpose.
  EXPECT_GE(live_before, 90) << "writers made too little progress to test anything";
  std::cout << "crash test: " << live_before << " live artifacts after 50 kills; gc removed "
            << gc.blobs_removed << " blobs and " << gc.temp_files_removed << " temp files\n";
}

}  // namespace
}  // namespace securemark::store
