// `securemark run` end to end: real host processes over ZeroMQ, a real store, caching,
// failures, retries, timeouts, a SIGKILLed host, and CURVE authentication of remote hosts.
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_fixture.h"
#include "securemark/files.h"
#include "sqlite.h"
#include "store.h"
#include "util/process.h"

namespace securemark {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using PipelineRunTest = RunFixture;

// A securemark-host on "another machine": it joins `endpoint` with keys/host.key.
int StartRemoteHost(const std::string& endpoint, const std::string& keys) {
  return *StartProcess({"/bin/sh", "-c",
                        kEnv + kBuild + "/bin/securemark-host serve --connect " + endpoint +
                            " --server-key " + keys + "/orch.pub --key " + keys +
                            "/host.key --plugin testing.work --orchestrator-timeout-ms 3000"});
}

TEST_F(PipelineRunTest, RunsOnHostsRecordsEverythingAndReusesTheCache) {
  std::string file = Write("fan", R"(params: {n: 4}
steps:
  - id: work
    uses: testing.work
    foreach: ${{ range(params.n) }}
    with: {value: "${{ item }}", seconds: 0.2}
  - id: join
    uses: testing.gather
    inputs: {parts: "work[*].out"}
)");
  Run first = RunPipeline(file);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_EQ(first.states.size(), 5u);
  for (const auto& [step, state] : first.states) EXPECT_EQ(state, "COMPLETE") << step;
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='COMPLETE'"), 5);
  // The fan-in result, read back from the store through lineage: the join's output.
  auto s = Store();
  auto stmt = s->db().Prepare("SELECT id FROM artifacts WHERE name='join.all'");
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(*s->ReadArtifact(stmt->Int(0)),
            "[{\"value\":0},{\"value\":1},{\"value\":2},{\"value\":3}]");
  EXPECT_TRUE(s->Check()->empty());

  Run again = RunPipeline(file);
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  for (const auto& [step, state] : again.states) EXPECT_EQ(state, "CACHED") << step;
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='CACHED'"), 5);

  Run forced = RunPipeline(file, "--force");
  ASSERT_EQ(forced.exit_code, 0) << forced.stderr_text;
  for (const auto& [step, state] : forced.states) EXPECT_EQ(state, "COMPLETE") << step;
  // A changed parameter changes the fingerprint of what depends on it, nothing else.
  Run changed = RunPipeline(file, "--set n=5");
  EXPECT_EQ(changed.states["work@2"], "CACHED");
  EXPECT_EQ(changed.states["work@4"], "COMPLETE");
  EXPECT_EQ(changed.states["join"], "COMPLETE");
}

TEST_F(PipelineRunTest, FailureRetriesSkipsDependentsAndFinishesIndependentBranches) {
  std::string file =
      Write("fail",
            "steps:\n"
            "  - id: bad\n    uses: testing.work\n"
            "    with: {counter_file: " +
                dir_ +
                "/count, fail_times: 5}\n"
                "    runtime: {retries: 1}\n"
                "  - id: after\n    uses: testing.work\n    inputs: {after: bad.out}\n"
                "  - id: independent\n    uses: testing.work\n    with: {seconds: 0.5}\n");
  Run run = RunPipeline(file);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.states["bad"], "FAILED");
  EXPECT_EQ(run.states["after"], "SKIPPED");
  EXPECT_EQ(run.states["independent"], "COMPLETE");
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE name='bad' AND state='FAILED' AND "
                  "error LIKE 'deliberate failure on attempt%'"),
            2);
  json summary = run.events.back();
  EXPECT_EQ(summary["event"], "run_finished");
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["skipped"], 1);
}

TEST_F(PipelineRunTest, RerunResumesAfterAFailure) {
  std::string file = Write("resume",
                           "steps:\n  - id: a\n    uses: testing.work\n    with: {value: 1}\n"
                           "  - id: b\n    uses: testing.work\n    inputs: {after: a.out}\n"
                           "    with: {counter_file: " +
                               dir_ + "/count, fail_times: 1}\n");
  EXPECT_EQ(RunPipeline(file).exit_code, 1);
  Run second = RunPipeline(file);
  EXPECT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(second.states["a"], "CACHED");
  EXPECT_EQ(second.states["b"], "COMPLETE");
}

// A host slower to start than the heartbeat timeout (loading LibTorch while dozens of
// hosts start on two cores) is waited for: the heartbeat deadline runs from its HELLO.
// Before, it was killed and started again, and every restart loaded everything again.
TEST_F(PipelineRunTest, AHostSlowToStartIsNotTakenForDead) {
  std::string file = Write("slow_start",
                           "steps:\n  - id: a\n    uses: testing.work\n"
                           "    with: {value: 7}\n");
  const std::string err = dir_ + "/stderr.txt";
  auto r = RunProcess({"/bin/sh", "-c",
                       // Killed and restarted again and again, the host would never start: bounded.
                       "SECUREMARK_TESTING_LOAD_DELAY_MS=2500 " + kEnv + "timeout 120 " + kBuild +
                           "/bin/securemark run " + file + " --store " + dir_ +
                           "/store --json --heartbeat-timeout 0.5 2>" + err},
                      true);
  ASSERT_TRUE(r.ok());
  Run run = Parse(r->exit_code, r->output, *ReadFile(err));
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.states["a"], "COMPLETE");
  EXPECT_EQ(run.stderr_text.find("sent no heartbeat"), std::string::npos) << run.stderr_text;
  EXPECT_EQ(r->output.find("sent no heartbeat"), std::string::npos) << r->output;
}

TEST_F(PipelineRunTest, HostKilledMidStepFailsThatAttemptAndTheRetryCompletes) {
  const std::string pid_file = dir_ + "/pid";
  std::string file = Write("kill",
                           "steps:\n  - id: slow\n    uses: testing.work\n"
                           "    with: {seconds: 2, pid_file: " +
                               pid_file +
                               "}\n"
                               "    runtime: {retries: 1}\n");
  const std::string out = dir_ + "/out.json";
  int run = *StartProcess({"/bin/sh", "-c",
                           kEnv + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
                               "/store --json > " + out + " 2>/dev/null"});
  for (int i = 0; i < 500 && !fs::exists(pid_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(pid_file)) << "the step never started";
  int host_pid = std::stoi(*ReadFile(pid_file));
  fs::remove(pid_file);
  ASSERT_EQ(kill(host_pid, SIGKILL), 0);
  ProcessResult result = *WaitProcess(run);
  Run parsed = Parse(result.exit_code, *ReadFile(out), "");
  EXPECT_EQ(parsed.exit_code, 0);
  EXPECT_EQ(parsed.states["slow"], "COMPLETE");
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='FAILED' AND error LIKE '%killed by "
                  "signal 9%'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='COMPLETE'"), 1);
  EXPECT_TRUE(Store()->Check()->empty());
}

TEST_F(PipelineRunTest, TimeoutFailsTheStep) {
  std::string file =
      Write("timeout",
            "steps:\n  - id: stuck\n    uses: testing.work\n    with: {seconds: 60}\n"
            "    runtime: {timeout: 1}\n");
  const auto start = std::chrono::steady_clock::now();
  Run run = RunPipeline(file);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.states["stuck"], "FAILED");
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE error='timed out after 1.0 s'"), 1);
}

TEST_F(PipelineRunTest, AnInvalidPipelineRunsNothing) {
  std::string file = Write("invalid", "steps:\n  - id: a\n    uses: testing.wrok\n");
  Run run = RunPipeline(file);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.stderr_text.find("invalid:5:11: error: unknown plugin 'testing.wrok'"),
            std::string::npos)
      << run.stderr_text;
  EXPECT_NE(run.stderr_text.find("nothing was run"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/store"));
}

TEST_F(PipelineRunTest, SecretOutputsAreStored0600) {
  std::string file = Write(
      "secret", "steps:\n  - id: s\n    uses: testing.work\n    with: {secret_output: k3y}\n");
  ASSERT_EQ(RunPipeline(file).exit_code, 0);
  auto s = Store();
  auto stmt = s->db().Prepare("SELECT digest, secret FROM artifacts WHERE name='s.key'");
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->Int(1), 1);
  EXPECT_EQ(fs::status(s->blobs().PathOf(stmt->Text(0))).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

// Remote hosts: only listed CURVE keys get in. A foreign client (python3-zmq) with its own
// key is refused by the ZAP handler; a securemark-host with a listed key joins and works.
TEST_F(PipelineRunTest, OnlyHostsWithListedKeysJoin) {
  if (RunProcess({"/bin/sh", "-c", "/usr/bin/python3 -c 'import zmq' 2>/dev/null"}, false)
          ->exit_code != 0) {
    GTEST_SKIP() << "python3-zmq is not installed";
  }
  const std::string keys = dir_ + "/keys";
  fs::create_directories(keys);
  ASSERT_EQ(
      RunProcess({kBuild + "/bin/securemark", "keys", "new", keys + "/orch"}, true)->exit_code, 0);
  ASSERT_EQ(
      RunProcess({kBuild + "/bin/securemark", "keys", "new", keys + "/host"}, true)->exit_code, 0);
  const int port = 20000 + getpid() % 20000;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  std::string file = Write(
      "remote", "steps:\n  - id: w\n    uses: testing.work\n    with: {value: 7, seconds: 0.2}\n");
  const std::string out = dir_ + "/out.json";
  int run =
      *StartProcess({"/bin/sh", "-c",
                     kEnv + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
                         "/store --json --no-local-hosts --listen " + endpoint + " --server-key " +
                         keys + "/orch.key --allow-key " + keys + "/host.pub > " + out + " 2>&1"});
  const std::string python = R"(
import socket, sys, time, zmq
# Wait until the orchestrator listens: a refusal needs a handshake, and on a busy machine
# the orchestrator can take seconds to bind.
host, port = sys.argv[1][len('tcp://'):].rsplit(':', 1)
for _ in range(200):
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
server_public = open(sys.argv[2]).read().split()[0].encode()
public, secret = zmq.curve_keypair()
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_public, public, secret
s.linger = 0
s.connect(sys.argv[1])
s.send_multipart([b'HELLO', b'{"protocol": 1, "plugins": ["testing.work"]}'])
print(public.decode())
print('answered' if s.poll(1500) else 'silent')
)";
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/foreign.py", python).ok());
  auto foreign =
      RunProcess({"/usr/bin/python3", dir_ + "/foreign.py", endpoint, keys + "/orch.pub"}, true);
  ASSERT_TRUE(foreign.ok());
  std::istringstream lines(foreign->output);
  std::string foreign_key, answer;
  lines >> foreign_key >> answer;
  EXPECT_EQ(answer, "silent");

  int host = StartRemoteHost(endpoint, keys);
  ProcessResult result = *WaitProcess(run);
  (void)WaitProcess(host);
  std::string log = *ReadFile(out);
  EXPECT_EQ(result.exit_code, 0) << log;
  EXPECT_NE(log.find("refused a host whose key is not allowed: " + foreign_key), std::string::npos)
      << log;
  EXPECT_NE(log.find("joined from"), std::string::npos) << log;
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='COMPLETE'"), 1);
}

// A peer holding an allowed key is still a peer: mistyped fields, unknown kinds and
// terminal escapes are dropped with a note naming it, and the run goes on with an honest
// host. Before field types were checked, {"protocol": "one"} aborted the orchestrator.
TEST_F(PipelineRunTest, MalformedMessagesFromAnAllowedPeerAreDroppedNotFatal) {
  if (RunProcess({"/bin/sh", "-c", "/usr/bin/python3 -c 'import zmq' 2>/dev/null"}, false)
          ->exit_code != 0) {
    GTEST_SKIP() << "python3-zmq is not installed";
  }
  const std::string keys = dir_ + "/keys";
  fs::create_directories(keys);
  for (const char* name : {"orch", "host", "rogue"}) {
    ASSERT_EQ(
        RunProcess({kBuild + "/bin/securemark", "keys", "new", keys + "/" + name}, true)->exit_code,
        0);
  }
  const int port = 20000 + (getpid() + 7919) % 20000;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  std::string file = Write(
      "rogue", "steps:\n  - id: w\n    uses: testing.work\n    with: {value: 7, seconds: 0.2}\n");
  const std::string out = dir_ + "/out.log";
  int run = *StartProcess({"/bin/sh", "-c",
                           kEnv + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
                               "/store --plain --no-local-hosts --listen " + endpoint +
                               " --server-key " + keys + "/orch.key --allow-key " + keys +
                               "/host.pub --allow-key " + keys + "/rogue.pub > " + out + " 2>&1"});
  const std::string python = R"(
import socket, sys, time, zmq
host, port = sys.argv[1][len('tcp://'):].rsplit(':', 1)
for _ in range(200):
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
words = open(sys.argv[3]).read().split()
public, secret = words[1].encode(), words[3].encode()
server_public = open(sys.argv[2]).read().split()[0].encode()
s = zmq.Context().socket(zmq.DEALER)
s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_public, public, secret
s.linger = 1000
s.connect(sys.argv[1])
for frames in ([b'HELLO', b'{"protocol":"one"}'],
               [b'HELLO', b'{"protocol":1,"library":5}'],
               [b'HELLO', b'{"protocol":1,"plugins":[1,2]}'],
               [b'\x1b[2J\x1b[31mEVIL', b'{}'],
               [b'HELLO', b'{"protocol":1,"plugins":["nothing.here"]}'],
               [b'LOG', b'{"task":7,"message":"gone"}'],
               [b'RESULT', b'{"task":"1","code":"0","outputs":[]}'],
               [b'PROGRESS', b'{"task":"1","done":"half"}']):
    s.send_multipart(frames)
    time.sleep(0.05)
time.sleep(0.5)
)";
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/rogue.py", python).ok());
  auto rogue = RunProcess(
      {"/usr/bin/python3", dir_ + "/rogue.py", endpoint, keys + "/orch.pub", keys + "/rogue.key"},
      true);
  ASSERT_TRUE(rogue.ok());
  EXPECT_EQ(rogue->exit_code, 0) << rogue->output;
  int host = StartRemoteHost(endpoint, keys);
  ProcessResult result = *WaitProcess(run);
  (void)WaitProcess(host);
  std::string log = *ReadFile(out);
  EXPECT_EQ(result.exit_code, 0) << log;
  for (const char* why :
       {"HELLO field 'protocol' is not an integer", "HELLO field 'library' is not a string",
        "HELLO field 'plugins' holds a non-string", "unknown message kind",
        "LOG field 'task' is not a string", "RESULT field 'code' is not an integer",
        "PROGRESS field 'done' is not a number"}) {
    EXPECT_NE(log.find(why), std::string::npos) << why << "\n" << log;
  }
  EXPECT_NE(log.find("dropped a malformed message from"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << "a raw escape reached the terminal";
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='COMPLETE'"), 1);
}

// Ctrl-C or SIGTERM stops a run gracefully: hosts are told to stop, running executions
// are recorded CANCELED with the signal as the reason, the temporary key files go, the
// exit status is 128 + the signal, the store checks clean and a re-run resumes. A second
// Ctrl-C exits at once, still removing the key files.
TEST_F(PipelineRunTest, SignalsStopTheRunGracefullyAndTheNextRunResumes) {
  std::string file = Write("slow", R"(params: {seconds: 30}
steps:
  - id: quick
    uses: testing.work
    with: {value: 1, seconds: 0.1}
  - id: slow
    uses: testing.work
    foreach: ${{ range(4) }}
    needs: [quick]
    with: {value: "${{ item }}", seconds: "${{ params.seconds }}"}
)");
  const std::string tmp = dir_ + "/tmp";
  for (const auto& [signal, twice, code] : std::vector<std::tuple<int, bool, int>>{
           {SIGINT, false, 130}, {SIGTERM, false, 143}, {SIGINT, true, 130}}) {
    SCOPED_TRACE(std::to_string(signal) + (twice ? " twice" : ""));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    const std::string log = dir_ + "/log.txt";
    fs::remove(log);
    int pid =
        *StartProcess({"/bin/sh", "-c",
                       "TMPDIR=" + tmp + " " + kEnv + "exec " + kBuild + "/bin/securemark run " +
                           file + " --store " + dir_ + "/store --plain > " + log + " 2>&1"});
    // Wait until the slow steps run.
    for (int i = 0; i < 200; ++i) {
      auto text = ReadFile(log);
      if (text.ok() && text->find("slow@1: started") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, signal);
    if (twice) ::kill(pid, signal);
    const auto started = std::chrono::steady_clock::now();
    ProcessResult result = *WaitProcess(pid);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string text = *ReadFile(log);
    EXPECT_EQ(result.exit_code, code) << text;
    EXPECT_LT(seconds, 10) << text;
    EXPECT_TRUE(fs::is_empty(tmp)) << "temporary files left in " << tmp;
    if (!twice) {
      EXPECT_NE(text.find("interrupted by SIG"), std::string::npos) << text;
      EXPECT_GE(Count("SELECT count(*) FROM executions WHERE state='CANCELED' AND error LIKE "
                      "'%interrupted by SIG%'"),
                1);
    }
    auto check = RunProcess(
        {"/bin/sh", "-c", kBuild + "/bin/securemark store check --store " + dir_ + "/store"}, true);
    EXPECT_EQ(check->exit_code, 0) << check->output;
  }
  // The next run resumes: 'quick' comes from the cache.
  Run resumed = RunPipeline(file, "--set seconds=0.1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.stderr_text;
  EXPECT_EQ(resumed.states["quick"], "CACHED");
  EXPECT_EQ(resumed.states["slow@3"], "COMPLETE");
}

// A run killed outright (SIGKILL: no chance to clean up) leaves RUNNING executions; the
// next command that reads the store records them FAILED, so `audit runs` tells the truth.
TEST_F(PipelineRunTest, AKilledRunIsShownFailedByTheNextReader) {
  std::string file = Write("killed", R"(steps:
  - id: slow
    uses: testing.work
    with: {value: 1, seconds: 30}
)");
  const std::string log = dir_ + "/log.txt";
  int pid = *StartProcess({"/bin/sh", "-c",
                           kEnv + "exec " + kBuild + "/bin/securemark run " + file + " --store " +
                               dir_ + "/store --plain > " + log + " 2>&1"});
  for (int i = 0; i < 200; ++i) {
    auto text = ReadFile(log);
    if (text.ok() && text->find("slow: started") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  (void)WaitProcess(pid);
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='RUNNING'"), 1);
  auto audit = RunProcess(
      {"/bin/sh", "-c", kBuild + "/bin/securemark audit runs --json --store " + dir_ + "/store"},
      true);
  ASSERT_EQ(audit->exit_code, 0) << audit->output;
  const json runs = json::parse(audit->output, nullptr, false);
  ASSERT_TRUE(runs.is_array() && runs.size() == 1) << audit->output;
  EXPECT_EQ(runs[0]["failed"], 1) << audit->output;
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='RUNNING'"), 0);
}

TEST_F(PipelineRunTest, UnreadableSecretKeyIsRefused) {
  const std::string keys = dir_ + "/keys";
  fs::create_directories(keys);
  ASSERT_EQ(
      RunProcess({kBuild + "/bin/securemark", "keys", "new", keys + "/orch"}, true)->exit_code, 0);
  fs::permissions(keys + "/orch.key", fs::perms::others_read, fs::perm_options::add);
  std::string file = Write("perm", "steps:\n  - id: w\n    uses: testing.work\n");
  Run run = RunPipeline(file, "--server-key " + keys + "/orch.key");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.stderr_text.find("readable by others"), std::string::npos) << run.stderr_text;
}

}  // namespace
}  // namespace securemark
