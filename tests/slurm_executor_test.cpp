// `securemark run --executor slurm` against a real single-node Slurm cluster (munged,
// slurmctld and slurmd started by the slurm_cluster test fixture): host jobs, their job ids
// in the store, a cancelled job's step retried, refusals named, nothing left queued.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <set>
#include <thread>

#include <zmq.hpp>

#include "run_fixture.h"
#include "transport/curve.h"
#include "transport/messages.h"
#include "transport/sockets.h"

namespace securemark {
namespace {

const std::string kSlurmConf = kBuild + "/slurm-cluster/slurm.conf";

class SlurmExecutorTest : public RunFixture {
 protected:
  void SetUp() override {
    RunFixture::SetUp();
    ASSERT_TRUE(fs::exists(kSlurmConf)) << "the slurm_cluster fixture did not start";
    setenv("SLURM_CONF", kSlurmConf.c_str(), 1);
  }

  static std::string Shell(const std::string& command) {
    auto r = RunProcess({"/bin/sh", "-c", command + " 2>&1"}, true);
    return r.ok() ? r->output : "";
  }

  // Jobs of any securemark run still queued or running on the cluster.
  static std::string ActiveHostJobs() {
    return Shell("squeue -h -t PD,R,CG,CF -o '%i %j %T' | grep securemark- || true");
  }

  static bool WaitUntil(const std::function<bool()>& done, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  std::map<std::string, std::string> Digests(const std::string& store_dir) {
    std::map<std::string, std::string> out;
    auto s = store::Store::Open(store_dir, false);
    EXPECT_TRUE(s.ok());
    auto stmt = (*s)->db().Prepare(
        "SELECT e.name || ' ' || ev.path, a.digest FROM executions e JOIN events ev ON "
        "ev.execution_id = e.id AND ev.type = 'OUTPUT' JOIN artifacts a ON a.id = ev.artifact_id "
        "WHERE e.state = 'COMPLETE'");
    EXPECT_TRUE(stmt.ok());
    while (*stmt->Step()) out[stmt->Text(0)] = stmt->Text(1);
    return out;
  }

  static int64_t Count(store::Database& db, const std::string& sql) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(*stmt->Step());
    return stmt->Int(0);
  }
  using RunFixture::Count;

  std::string ExecutionProperty(int64_t execution, const std::string& name) {
    auto s = Store();
    auto stmt = s->db().Prepare(
        "SELECT coalesce(string_value, int_value) FROM execution_properties WHERE "
        "execution_id = ? AND name = ?");
    EXPECT_TRUE(stmt.ok());
    stmt->Bind(1, execution);
    stmt->Bind(2, name);
    return *stmt->Step() ? stmt->Text(0) : "";
  }
};

TEST_F(SlurmExecutorTest, StepsRunAsHostJobsEachRecordedWithItsJobAndResultsEqualALocalRun) {
  const std::string file = Write("fan", R"(params: {n: 6}
steps:
  - id: w
    uses: testing.work
    foreach: ${{ range(params.n) }}
    with: {value: "${{ item }}", seconds: 0.5}
  - id: all
    uses: testing.gather
    inputs: {parts: "w[*].out"}
)");
  Run run = RunPipeline(file, "--executor slurm --max-hosts 2");
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.states.size(), 7u);
  for (const auto& [step, state] : run.states) EXPECT_EQ(state, "COMPLETE") << step;

  // Every execution names the Slurm job that ran it, a job of this run on the cluster.
  std::set<std::string> jobs;
  for (int64_t e = 1; e <= 7; ++e) {
    const std::string job = ExecutionProperty(e, "slurm_job");
    ASSERT_FALSE(job.empty()) << "execution " << e << " has no slurm_job";
    jobs.insert(job);
    EXPECT_NE(Shell("squeue -h --states=all -j " + job + " -o '%j'").find("securemark-"),
              std::string::npos)
        << "job " << job;
  }
  EXPECT_LE(jobs.size(), 2u) << "--max-hosts 2";
  EXPECT_EQ(ActiveHostJobs(), "") << "the run left host jobs behind";

  const std::string slurm_store = dir_ + "/store";
  const std::string local_store = dir_ + "/local-store";
  auto local = RunProcess({"/bin/sh", "-c",
                           kEnv + kBuild + "/bin/securemark run " + file + " --store " +
                               local_store + " --plain > /dev/null 2>&1"},
                          false);
  ASSERT_TRUE(local.ok());
  ASSERT_EQ(local->exit_code, 0);
  const auto slurm_digests = Digests(slurm_store);
  EXPECT_EQ(slurm_digests.size(), 7u);
  EXPECT_EQ(slurm_digests, Digests(local_store));
}

#ifdef SECUREMARK_SLURM_SHIPPED_PIPELINE
// The demo pipeline (real data, real training) on host jobs: every step recorded with its
// job, and every output the same as on local hosts but the reports, which hold timings.
TEST_F(SlurmExecutorTest, TheDemoPipelineOnHostJobsGivesTheLocalRunsArtifacts) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  const std::string demo = std::string(SECUREMARK_SOURCE_DIR) + "/pipelines/quickstart.yaml";
  const std::string common = " --plain --set examples=3000 > /dev/null 2>&1";
  for (const std::string& run : {"--store " + dir_ + "/slurm --executor slurm --max-hosts 2",
                                 "--store " + dir_ + "/local"}) {
    auto r = RunProcess(
        {"/bin/sh", "-c", kBuild + "/bin/securemark run " + demo + " " + run + common}, false);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << run;
  }
  auto slurm = Digests(dir_ + "/slurm"), local = Digests(dir_ + "/local");
  ASSERT_EQ(slurm.size(), local.size());
  int compared = 0;
  for (const auto& [output, digest] : slurm) {
    if (output.size() > 7 && output.substr(output.size() - 7) == " report") continue;
    EXPECT_EQ(digest, local[output]) << output;
    ++compared;
  }
  EXPECT_GE(compared, 15);
  auto s = store::Store::Open(dir_ + "/slurm", false);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Count((*s)->db(),
                  "SELECT count(*) FROM executions e WHERE NOT EXISTS (SELECT 1 FROM "
                  "execution_properties p WHERE p.execution_id = e.id AND "
                  "p.name = 'slurm_job')"),
            0);
}
#endif

TEST_F(SlurmExecutorTest, AHostJobCancelledMidStepIsRetriedOnAnotherJob) {
  const std::string pid_file = dir_ + "/pid";
  const std::string file = Write("cancel",
                                 "steps:\n  - id: slow\n    uses: testing.work\n"
                                 "    with: {seconds: 4, pid_file: " +
                                     pid_file + "}\n");
  const std::string out = dir_ + "/out.json";
  const int run = *StartProcess({"/bin/sh", "-c",
                                 kEnv + kBuild + "/bin/securemark run " + file + " --store " +
                                     dir_ + "/store --json --executor slurm --max-hosts 2 > " +
                                     out + " 2>" + dir_ + "/err.txt"});
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(pid_file); }, 60)) << "the step never started";
  fs::remove(pid_file);
  const std::string job = ExecutionProperty(1, "slurm_job");
  ASSERT_FALSE(job.empty());
  EXPECT_EQ(Shell("scancel " + job), "");

  ProcessResult result = *WaitProcess(run);
  Run parsed = Parse(result.exit_code, *ReadFile(out), *ReadFile(dir_ + "/err.txt"));
  EXPECT_EQ(parsed.exit_code, 0) << parsed.stderr_text;
  EXPECT_EQ(parsed.states["slow"], "COMPLETE");
  EXPECT_EQ(
      Count("SELECT count(*) FROM executions WHERE state='FAILED' AND error LIKE '%Slurm job " +
            job + "%'"),
      1);
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='COMPLETE'"), 1);
  const std::string retried_on = ExecutionProperty(2, "slurm_job");
  EXPECT_FALSE(retried_on.empty());
  EXPECT_NE(retried_on, job);
  EXPECT_TRUE(Store()->Check()->empty());
  EXPECT_EQ(ActiveHostJobs(), "");
}

// A multi-party step: every party a job of its own, all running at once, talking to each
// other across jobs; the execution names each party's job.
TEST_F(SlurmExecutorTest, PartiesOfAStepMeetAcrossHostJobs) {
  const std::string file = Write("meet", R"(steps:
  - id: meet
    parties:
      - name: hub
        uses: testing.party_hub
        with: {rounds: 4, round_timeout: 20}
      - name: member
        uses: testing.party_member
        count: 2
)");
  Run run = RunPipeline(file, "--executor slurm --max-hosts 3");
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.states["meet"], "COMPLETE");
  auto s = Store();
  auto stmt = s->db().Prepare("SELECT id FROM artifacts WHERE name='meet.report'");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(json::parse(*s->ReadArtifact(stmt->Int(0)))["sum"], 4 * (1 + 2));
  const std::string jobs = ExecutionProperty(1, "slurm_jobs");
  EXPECT_NE(jobs.find("hub="), std::string::npos) << jobs;
  EXPECT_NE(jobs.find("member@0="), std::string::npos) << jobs;
  EXPECT_NE(jobs.find("member@1="), std::string::npos) << jobs;
  EXPECT_EQ(ActiveHostJobs(), "");
}

TEST_F(SlurmExecutorTest, AStepAskingMoreThanThePartitionHasIsRefusedBeforeAnythingRuns) {
  const std::string file = Write("big", R"(steps:
  - id: small
    uses: testing.work
  - id: big
    uses: testing.work
    runtime: {cpus: 8, time: 2h}
)");
  auto validate =
      RunProcess({"/bin/sh", "-c",
                  kEnv + kBuild + "/bin/securemark validate " + file + " --executor slurm 2>&1"},
                 true);
  ASSERT_TRUE(validate.ok());
  EXPECT_EQ(validate->exit_code, 1) << validate->output;
  EXPECT_NE(validate->output.find("/big:8:14: error: "), std::string::npos) << validate->output;
  EXPECT_NE(validate->output.find("step 'big' asks Slurm partition 'test' for 8 CPUs (its nodes "
                                  "have at most 4), 02:00:00 of time (its limit is 01:00:00)"),
            std::string::npos)
      << validate->output;
  EXPECT_EQ(validate->output.find("'small'"), std::string::npos) << validate->output;

  Run run = RunPipeline(file, "--executor slurm");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.stderr_text.find("nothing was run"), std::string::npos) << run.stderr_text;
  EXPECT_FALSE(fs::exists(dir_ + "/store")) << "the refused run touched the store";

  // A partition that does not exist is named, with the ones that do.
  auto unknown = RunProcess({"/bin/sh", "-c",
                             kEnv + kBuild + "/bin/securemark validate " + file +
                                 " --executor slurm --partition gpu 2>&1"},
                            true);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->exit_code, 1);
  EXPECT_NE(unknown->output.find("no Slurm partition named 'gpu' (partitions: small, test)"),
            std::string::npos)
      << unknown->output;
}

TEST_F(SlurmExecutorTest, AHostJobSlurmWillNeverStartFailsItsStepByNameAndTheRestFinishes) {
  // The "small" partition caps memory per node at 1000 MB, which sinfo does not show:
  // validation lets the step through, and Slurm keeps the job pending for ever.
  const std::string file = Write("cap", R"(steps:
  - id: fits
    uses: testing.work
    with: {value: 1}
  - id: too_big
    uses: testing.work
    with: {value: 2}
    runtime: {memory: 2G}
  - id: after
    uses: testing.copy
    inputs: {in: too_big.out}
)");
  Run run = RunPipeline(file, "--executor slurm --partition small");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.states["fits"], "COMPLETE");
  EXPECT_EQ(run.states["too_big"], "FAILED");
  EXPECT_EQ(run.states["after"], "SKIPPED");
  bool named = false;
  for (const json& e : run.events) {
    if (e.value("step", "") == "too_big" && e.value("state", "") == "FAILED") {
      const std::string why = e.value("detail", e.dump());
      named = why.find("Slurm refused the host job for step too_big") != std::string::npos &&
              why.find("2048 MB") != std::string::npos &&
              why.find("PartitionConfig") != std::string::npos;
      EXPECT_TRUE(named) << e.dump();
    }
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(ActiveHostJobs(), "");
}

// Two hosts for two parallel steps, then one long step: the other host is released while
// it works, so that the run does not hold a node it has no use for.
TEST_F(SlurmExecutorTest, AnIdleHostJobIsReleased) {
  const std::string file = Write("idle", R"(steps:
  - id: a
    uses: testing.work
    with: {seconds: 1}
  - id: b
    uses: testing.work
    with: {seconds: 1, value: 1}
  - id: last
    uses: testing.work
    inputs: {after: a.out}
    with: {seconds: 5, value: 2}
)");
  Run run = RunPipeline(file, "--executor slurm --max-hosts 2 --host-idle 1s");
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  std::vector<std::string> released;
  for (const json& e : run.events) {
    const std::string text = e.value("message", "");
    if (text.rfind("released plugin host", 0) == 0) released.push_back(text);
  }
  ASSERT_EQ(released.size(), 1u) << run.events.size();
  EXPECT_NE(released[0].find("idle for 1 s"), std::string::npos) << released[0];
  EXPECT_EQ(ActiveHostJobs(), "");
  // A duration it cannot read is refused before anything runs.
  Run bad = RunPipeline(file, "--executor slurm --host-idle soon");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.stderr_text.find("--host-idle: expected a duration"), std::string::npos)
      << bad.stderr_text;
}

// A host job's key is good for that host only. The job's host command is wrapped so that
// the key reaches the test, which then speaks with it under another host's id and under
// a new one: both are dropped, and the run is not disturbed.
TEST_F(SlurmExecutorTest, AHostJobsKeyCannotSpeakForAnotherHost) {
  const std::string wrapper = dir_ + "/host-wrapper.sh";
  ASSERT_TRUE(WriteFileAtomic(wrapper,
                              "#!/bin/sh\nargs=\"$*\"\nwhile [ $# -gt 0 ]; do\n"
                              "  case \"$1\" in --key) cp \"$2\" " +
                                  dir_ +
                                  "/stolen.key;; "
                                  "--server-key) echo \"$2\" > " +
                                  dir_ +
                                  "/server.pub;; esac\n"
                                  "  shift\ndone\nexec " +
                                  kBuild + "/bin/securemark-host $args\n",
                              0755)
                  .ok());
  const std::string file = Write("steal",
                                 "steps:\n  - id: slow\n    uses: testing.work\n"
                                 "    with: {seconds: 6}\n");
  const std::string out = dir_ + "/out.json";
  const int run = *StartProcess({"/bin/sh", "-c",
                                 kEnv + kBuild + "/bin/securemark run " + file + " --store " +
                                     dir_ + "/store --json --executor slurm --max-hosts 1 " +
                                     "--host-command " + wrapper + " > " + out + " 2>/dev/null"});
  std::string endpoint;
  ASSERT_TRUE(WaitUntil(
      [&] {
        // The shell may not have created the file yet.
        StatusOr<std::string> text = ReadFile(out);
        if (!text.ok()) return false;
        for (const json& e : Parse(0, *text, "").events) {
          const std::string m = e.value("message", "");
          if (m.rfind("Slurm host jobs connect to ", 0) == 0) endpoint = m.substr(27);
        }
        return !endpoint.empty() && fs::exists(dir_ + "/stolen.key") &&
               fs::exists(dir_ + "/server.pub");
      },
      60));
  auto keys = transport::ReadKeyPair(dir_ + "/stolen.key");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  auto server = transport::ReadPublicKey(dir_ + "/server.pub");
  ASSERT_TRUE(server.ok());
  zmq::context_t context(1);
  for (const char* id : {"host-2", "intruder"}) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    transport::ConfigureSocket(socket);
    socket.set(zmq::sockopt::linger, 500);
    socket.set(zmq::sockopt::routing_id, id);
    socket.set(zmq::sockopt::curve_serverkey, *server);
    socket.set(zmq::sockopt::curve_publickey, keys->public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys->secret_key);
    socket.connect(endpoint);
    transport::SendFrames(socket,
                          transport::EncodeMessage({"HELLO",
                                                    {{"protocol", transport::kProtocolVersion},
                                                     {"host", "elsewhere"},
                                                     {"plugins", json::array({"testing.work"})}},
                                                    {}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ProcessResult result = *WaitProcess(run);
  Run parsed = Parse(result.exit_code, *ReadFile(out), "");
  EXPECT_EQ(parsed.exit_code, 0);
  EXPECT_EQ(parsed.states["slow"], "COMPLETE");
  std::string notes;
  for (const json& e : parsed.events) notes += e.value("message", "") + "\n";
  EXPECT_NE(notes.find("dropped HELLO sent as host-2 with another host's key"), std::string::npos)
      << notes;
  EXPECT_NE(notes.find("dropped HELLO sent as intruder with another host's key"), std::string::npos)
      << notes;
  EXPECT_EQ(notes.find("joined"), std::string::npos) << notes;
}

TEST_F(SlurmExecutorTest, InterruptingARunCancelsItsHostJobs) {
  const std::string pid_file = dir_ + "/pid";
  const std::string file = Write("long",
                                 "steps:\n  - id: long\n    uses: testing.work\n"
                                 "    with: {seconds: 120, pid_file: " +
                                     pid_file +
                                     "}\n  - id: queued\n    uses: testing.work\n"
                                     "    with: {seconds: 120}\n"
                                     "    runtime: {cpus: 4}\n");
  const int run = *StartProcess(
      {"/bin/sh", "-c",
       kEnv + "exec " + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
           "/store --plain --executor slurm --max-hosts 2 > " + dir_ + "/log.txt 2>&1"});
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(pid_file); }, 60)) << "the step never started";
  EXPECT_NE(ActiveHostJobs(), "");
  ASSERT_EQ(kill(run, SIGINT), 0);
  ProcessResult result = *WaitProcess(run);
  EXPECT_EQ(result.exit_code, 130) << *ReadFile(dir_ + "/log.txt");
  EXPECT_TRUE(WaitUntil([] { return ActiveHostJobs().empty(); }, 10)) << ActiveHostJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE state='RUNNING'"), 0);
}

}  // namespace
}  // namespace securemark
