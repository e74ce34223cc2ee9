// Fault injection end to end: a small SecureMark-DL run (split training with data-owner
// processes, fingerprinting, delivery, tracing) is killed again and again with SIGKILL,
// each time in a different process: a data owner, the split-training server, a plugin
// host, the orchestrator. After every fault the store must pass `store check`; re-running
// must finish the pipeline; and no artifact may be lost (every completed execution's
// outputs LIVE with their blobs) or duplicated (no step completed twice).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kBuild = SECUREMARK_BUILD_DIR;
const std::string kSource = SECUREMARK_SOURCE_DIR;

struct Victim {
  pid_t pid = 0;
  std::string kind;  // orchestrator, owner, server, host
};

std::string Cmdline(pid_t pid) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text.ok()) return "";
  std::string out = *text;
  for (char& c : out) c = c == '\0' ? ' ' : c;
  return out;
}

pid_t ParentOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  char state;
  pid_t parent = 0;
  rest >> state >> parent;
  return parent;
}

// The orchestrator and the plugin hosts it started, classified by the library they serve.
std::vector<Victim> Victims(pid_t orchestrator) {
  std::vector<Victim> victims = {{orchestrator, "orchestrator"}};
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (ParentOf(pid) != orchestrator) continue;
    const std::string cmd = Cmdline(pid);
    if (cmd.find("securemark-host") == std::string::npos) continue;
    const std::string kind = cmd.find("data_owner_node") != std::string::npos        ? "owner"
                             : cmd.find("server_trainer_split") != std::string::npos ? "server"
                                                                                     : "host";
    victims.push_back({pid, kind});
  }
  return victims;
}

std::vector<pid_t> HostsOf(pid_t orchestrator) {
  std::vector<pid_t> hosts;
  for (const Victim& v : Victims(orchestrator))
    if (v.pid != orchestrator) hosts.push_back(v.pid);
  return hosts;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 && ParentOf(pid) != 0; }

std::string Sql(const std::string& db, const std::string& query) {
  auto r = RunProcess({"sqlite3", db, query}, true);
  return r.ok() ? r->output : "sqlite3 failed";
}

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
    dir_ = ::testing::TempDir() + "/fault_injection";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // Each fault gets its own test-set size, so that every cycle has training to do.
  pid_t StartRun(int attempt, int cycle) {
    const std::string log = dir_ + "/run-" + std::to_string(attempt) + ".log";
    const std::string command =
        "exec " + kBuild + "/bin/securemark run " + kSource +
        "/pipelines/securemark-fmnist.yaml --plain --jobs 2 --store " + store() +
        " --set social_graph=" + kSource + "/../shared/data/ego-facebook/facebook_combined.txt" +
        " owners=2 examples=1200 test_examples=" + std::to_string(300 + cycle) +
        " epochs=1 customers=2 embed_batches=5 >" + log + " 2>&1";
    auto pid = StartProcess({"/bin/sh", "-c", command});
    EXPECT_TRUE(pid.ok());
    return *pid;
  }

  // Waits for the run to exit; -1 when it is still running after `seconds`.
  static int WaitFor(pid_t pid, double seconds) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  void ExpectHealthyStore(const std::string& after) {
    auto r = RunProcess(
        {"/bin/sh", "-c", kBuild + "/bin/securemark store check --store " + store() + " 2>&1"},
        true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << after << ":\n" << r->output;
  }

  std::string store() const { return dir_ + "/store"; }
  std::string dir_;
};

TEST_F(FaultInjectionTest, RandomKillsLoseAndDuplicateNothingAndReRunsFinish) {
  std::mt19937 rng(20261130);
  const std::vector<std::string> order = {"owner",        "server", "host",
                                          "orchestrator", "server", "orchestrator"};
  int injected = 0, attempt = 0, finished_early = 0, cycle = 0;
  std::string record;
  for (const std::string& wanted : order) {
    ++cycle;
    const pid_t run = StartRun(attempt++, cycle);
    // Strike at a random moment of the wanted kind of process's life: once one exists (an
    // event, however fast or slow the machine), wait a random 0-2 s more and take one of
    // those alive then. Bounded at ten minutes so that a hung run fails.
    Victim victim;
    const auto deadline = Clock::now() + std::chrono::seconds(600);
    const double delay = std::uniform_real_distribution<double>(0.0, 2.0)(rng);
    std::optional<Clock::time_point> strike;
    int code = -1;
    while (Clock::now() < deadline && victim.pid == 0) {
      if ((code = WaitFor(run, 0.05)) != -1) break;
      std::vector<Victim> candidates;
      for (const Victim& v : Victims(run))
        if (v.kind == wanted) candidates.push_back(v);
      if (candidates.empty()) continue;
      if (!strike)
        strike = Clock::now() +
                 std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay));
      if (Clock::now() >= *strike)
        victim = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)];
    }
    if (victim.pid == 0) {
      ++finished_early;
      if (code == -1) code = WaitFor(run, 600);
      record += "  " + wanted + ": none to kill (run exited " + std::to_string(code) + ")\n";
      ExpectHealthyStore("after an unfaulted run");
      continue;
    }
    const std::vector<pid_t> hosts = HostsOf(run);
    ASSERT_EQ(kill(victim.pid, SIGKILL), 0);
    ++injected;
    if (victim.kind == "orchestrator") {
      code = WaitFor(run, 10);
      // Its hosts notice the orchestrator is gone and exit on their own.
      const auto orphan_deadline = Clock::now() + std::chrono::seconds(60);
      bool orphans = true;
      while (orphans && Clock::now() < orphan_deadline) {
        orphans = false;
        for (pid_t h : hosts) orphans |= Alive(h);
        if (orphans) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      EXPECT_FALSE(orphans) << "plugin hosts outlived their orchestrator by 60 s";
      for (pid_t h : hosts) kill(h, SIGKILL);
    } else {
      code = WaitFor(run, 900);
    }
    ExpectHealthyStore("after killing the " + victim.kind);
    // Running the same pipeline again finishes it, reusing what was completed.
    const int rerun = WaitFor(StartRun(attempt++, cycle), 900);
    auto log = ReadFile(dir_ + "/run-" + std::to_string(attempt - 1) + ".log");
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(rerun, 0) << *log;
    EXPECT_NE(log->find(" 0 failed, 0 skipped"), std::string::npos) << *log;
    std::string summary = "?";
    if (const size_t at = log->rfind("completed, "); at != std::string::npos) {
      const size_t begin = log->rfind('\n', at) + 1;
      summary = log->substr(begin, log->find('\n', at) - begin);
    }
    record += "  " + victim.kind + " pid " + std::to_string(victim.pid) + " killed " +
              std::to_string(delay).substr(0, 4) + " s after it appeared: run exited " +
              std::to_string(code) + "; re-run exited " + std::to_string(rerun) + ": " + summary +
              "\n";
    ExpectHealthyStore("after re-running");
  }
  std::cout << "faults injected: " << injected
            << " (runs that ended before a victim appeared: " << finished_early << ")\n"
            << record;
  EXPECT_GE(injected, 4);

  const std::string db = store() + "/metadata.sqlite";
  // Nothing duplicated: no step (one fingerprint) completed twice.
  EXPECT_EQ(Sql(db,
                "SELECT fingerprint, count(*) FROM executions WHERE state='COMPLETE' "
                "GROUP BY fingerprint HAVING count(*) > 1;"),
            "");
  // Nothing lost: every output of a completed or cached execution is LIVE.
  EXPECT_EQ(Sql(db,
                "SELECT e.name, a.id, a.state FROM events ev JOIN executions e ON "
                "e.id = ev.execution_id JOIN artifacts a ON a.id = ev.artifact_id WHERE "
                "ev.type = 'OUTPUT' AND e.state IN ('COMPLETE', 'CACHED') AND "
                "a.state != 'LIVE';"),
            "");
  // No execution is left RUNNING.
  EXPECT_EQ(Sql(db, "SELECT count(*) FROM executions WHERE state IN ('RUNNING', 'NEW');"), "0\n");
}

}  // namespace
}  // namespace securemark
