#include "runner/slurm.h"

#include <gtest/gtest.h>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark::runner {
namespace {

HostJobSpec Spec() {
  HostJobSpec s;
  s.job_name = "securemark-0123abcd";
  s.host_command = "/opt/secure mark/bin/securemark-host";
  s.connect = "tcp://head:5555";
  s.server_public_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  s.public_key = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
  s.secret_key = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
  s.library = "/usr/lib/x86_64-linux-gnu/securemark/plugins/lib it's.so";
  s.host_id = "host-7";
  s.partition = "cpu";
  s.output = "/dev/null";
  s.resources = {4, 8192, 5400};
  return s;
}

TEST(SlurmTest, TheScriptAsksForTheStepsResourcesAndStartsTheHostWithItsOwnKey) {
  const std::string script = HostJobScript(Spec());
  for (const char* line : {"#SBATCH --job-name=securemark-0123abcd\n", "#SBATCH --partition=cpu\n",
                           "#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=8192M\n",
                           "#SBATCH --time=01:30:00\n", "#SBATCH --output=/dev/null\n"})
    EXPECT_NE(script.find(line), std::string::npos) << line << " in\n" << script;
  // Resources left to the default are not asked for.
  HostJobSpec defaults = Spec();
  defaults.resources = {};
  defaults.partition.clear();
  const std::string plain = HostJobScript(defaults);
  for (const char* option : {"--partition", "--cpus-per-task", "--mem", "--time"})
    EXPECT_EQ(plain.find(option), std::string::npos) << option;
}

// The script is run by a real sh with the host command replaced by one that prints its
// arguments and the key file it was given: quoting, the key's $ and the heredoc hold.
TEST(SlurmTest, TheScriptPassesEveryArgumentIntactAndRemovesTheKeyFile) {
  const std::string dir = testing::TempDir() + "/slurm_script";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  HostJobSpec spec = Spec();
  spec.host_command = dir + "/fake host";
  ASSERT_TRUE(WriteFileAtomic(spec.host_command,
                              "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n"
                              "while [ \"$1\" != --key ]; do shift; done\ncat \"$2\"\n"
                              "echo \"$2\" > " +
                                  dir + "/keypath\n",
                              0755)
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/job.sh", HostJobScript(spec), 0600).ok());
  auto r = RunProcess({"/bin/sh", "-c", "TMPDIR=" + dir + " sh " + dir + "/job.sh"}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  for (const std::string& arg : std::vector<std::string>{
           "[serve]", "[--connect]", "[tcp://head:5555]", "[" + spec.server_public_key + "]",
           "[" + spec.library + "]", "[host-7]", "public " + spec.public_key,
           "secret " + spec.secret_key})
    EXPECT_NE(r->output.find(arg), std::string::npos) << arg << " in\n" << r->output;
  auto key_path = ReadFile(dir + "/keypath");
  ASSERT_TRUE(key_path.ok());
  EXPECT_FALSE(std::filesystem::exists(key_path->substr(0, key_path->size() - 1)))
      << "the key file outlived the job";
}

TEST(SlurmTest, SbatchOutputGivesTheJobIdPastWarnings) {
  EXPECT_EQ(*ParseSbatchJobId("123\n"), "123");
  EXPECT_EQ(*ParseSbatchJobId("sbatch: warning: something\n456;cluster\n"), "456");
  EXPECT_FALSE(ParseSbatchJobId("sbatch: error: Batch job submission failed\n").ok());
}

TEST(SlurmTest, SqueueLinesAndWhatTheyMean) {
  auto jobs = ParseSqueue(
      "12|RUNNING|None\n13|PENDING|Resources\n14|PENDING|PartitionConfig\n"
      "15|CANCELLED|None\ngarbage\n|x|y\n");
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_TRUE(IsActive(jobs["12"].state));
  EXPECT_TRUE(IsActive(jobs["13"].state));
  EXPECT_FALSE(NeverStarts(jobs["13"].reason));
  EXPECT_TRUE(NeverStarts(jobs["14"].reason));
  EXPECT_FALSE(IsActive(jobs["15"].state));
  for (const char* ended : {"COMPLETED", "FAILED", "TIMEOUT", "PREEMPTED", "NODE_FAIL",
                            "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"})
    EXPECT_FALSE(IsActive(ended)) << ended;
}

TEST(SlurmTest, PartitionLimitsComeFromTheLargestNodeAndTheTimeLimit) {
  const std::string sinfo =
      "cpu*|1-00:00:00|32|128000\ncpu*|1-00:00:00|64|256000\ngpu|4:00:00|16|64000\n"
      "debug|infinite|2|1000\n";
  auto cpu = ParseSinfo(sinfo, "");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->partition, "cpu");
  EXPECT_EQ(cpu->cpus, 64);
  EXPECT_EQ(cpu->memory_mb, 256000);
  EXPECT_EQ(cpu->time_s, 86400);
  auto debug = ParseSinfo(sinfo, "debug");
  ASSERT_TRUE(debug.ok());
  EXPECT_EQ(debug->time_s, 0);  // infinite

  auto missing = ParseSinfo(sinfo, "big");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "no Slurm partition named 'big' (partitions: cpu, debug, gpu)");

  HostResources need{16, 64000, 5 * 3600};
  EXPECT_EQ(Exceeds(need, *cpu), std::vector<std::string>{});
  ASSERT_EQ(Exceeds(need, *ParseSinfo(sinfo, "gpu")).size(), 1u);
  EXPECT_EQ(Exceeds(need, *ParseSinfo(sinfo, "gpu"))[0],
            "05:00:00 of time (its limit is 04:00:00)");
  EXPECT_EQ(Exceeds({128, 0, 0}, *cpu)[0], "128 CPUs (its nodes have at most 64)");
}

TEST(SlurmTest, AHostServesOnlyStepsItsResourcesCover) {
  const HostResources host{2, 4096, 3600};
  EXPECT_TRUE(host.Covers({}));
  EXPECT_TRUE(host.Covers({2, 4096, 3600}));
  EXPECT_FALSE(host.Covers({4, 0, 0}));
  EXPECT_FALSE(host.Covers({0, 8192, 0}));
  EXPECT_FALSE(host.Covers({0, 0, 7200}));
  EXPECT_FALSE(HostResources{}.Covers({1, 0, 0}));  // a default host may have one CPU or less
}

}  // namespace
}  // namespace securemark::runner
