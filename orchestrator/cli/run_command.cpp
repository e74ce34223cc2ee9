// `securemark run FILE`: validates, then runs the pipeline on plugin hosts, recording
// everything in the store. Re-running resumes: completed steps come from the cache.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/executor_options.h"
#include "cli/pipeline_loading.h"
#include "runner/runner.h"

namespace securemark::cli {
namespace {

std::atomic<int> g_signal{0};

// The first Ctrl-C (or SIGTERM) stops the run gracefully; a second one exits at once,
// removing the run's key files.
void OnSignal(int signal) {
  if (g_signal.exchange(signal) != 0) {
    runner::RemoveRunFilesNow();
    _exit(128 + signal);
  }
}

// Local hosts share the machine: without a limit every host's BLAS and OpenMP pools would
// claim every core, and --jobs 2 on two cores spent most of its time in the kernel
// (measured: 12 of 26 CPU minutes). An explicit setting in the environment wins.
void ShareCoresAmongHosts(int jobs) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::string threads = std::to_string(std::max(1u, cores / static_cast<unsigned>(jobs)));
  for (const char* name : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
    setenv(name, threads.c_str(), /*overwrite=*/0);
  }
}

struct RunArgs {
  std::string file;
  std::vector<std::string> sets;
  runner::RunOptions options;
  bool json = false;
  bool plain = false;
  ExecutorArgs executor;
  bool jobs_given = false;
  bool listen_given = false;
};

// Slurm: steps at once follow the host limit unless --jobs says otherwise, and hosts
// connect from other machines. Checked before the pipeline is read, as any usage error.
// Returns an exit code when the run must not start.
std::optional<int> PrepareSlurm(RunArgs& args) {
  StatusOr<std::optional<runner::SlurmOptions>> slurm = SlurmOptionsOf(args.executor);
  if (!slurm.ok()) {
    std::cerr << "securemark: " << slurm.status().message() << "\n";
    return kExitUsage;
  }
  args.options.slurm = *slurm;
  if (!*slurm) return std::nullopt;
  if (!runner::SlurmClient::Available()) {
    std::cerr << "securemark: --executor slurm: sbatch, squeue or scancel is not on PATH; run "
                 "from a machine that can submit Slurm jobs\n";
    return kExitUsage;
  }
  if (!args.jobs_given) args.options.jobs = (*slurm)->max_hosts;
  if (!args.listen_given) args.options.listen = "tcp://0.0.0.0:0";
  return std::nullopt;
}

int Run(RunArgs& args) {
  if (std::optional<int> refused = PrepareSlurm(args)) return *refused;
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  StatusOr<pipeline::CompileResult> compiled = LoadPipeline(args.file, args.sets, catalog);
  if (!compiled.ok()) {
    std::cerr << "securemark: " << compiled.status().message() << "\n";
    return kExitUsage;
  }
  if (!compiled->ok()) {
    PrintDiagnostics(compiled->diagnostics);
    std::cerr << "nothing was run\n";
    return kExitFailed;
  }
  args.options.pipeline_file = args.file;
  // The partition's limits are checked before anything runs.
  if (args.options.slurm && !PartitionAllows(compiled->plan, *args.options.slurm)) {
    std::cerr << "nothing was run\n";
    return kExitFailed;
  }
  if (!args.options.slurm) ShareCoresAmongHosts(args.options.jobs);
  args.options.interrupted = &g_signal;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto progress = runner::MakeProgressSink(args.json    ? runner::ProgressMode::kJson
                                           : args.plain ? runner::ProgressMode::kPlain
                                                        : runner::ProgressMode::kAuto);
  StatusOr<runner::RunSummary> summary = runner::RunPlan(compiled->plan, args.options, *progress);
  if (g_signal != 0) return 128 + g_signal;  // 130 for Ctrl-C, 143 for SIGTERM
  if (!summary.ok()) {
    std::cerr << "securemark: " << summary.status().message() << "\n";
    return kExitFailed;
  }
  return summary->ok() ? kExitOk : kExitFailed;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand(
      "run",
      "Validate and run a pipeline; completed steps are reused on re-runs\n"
      "Example: securemark run pipelines/quickstart.yaml --store runs/ --set owners=8 --jobs 2");
  run->add_option("file", args->file, "Pipeline YAML file")->required();
  args->options.store_dir = DefaultStorePath();
  run->add_option("--store,-s", args->options.store_dir, "Store directory (created if missing)");
  run->add_option("--set", args->sets, "Override a pipeline parameter KEY=VALUE (repeatable)");
  run->add_flag("--force", args->options.force, "Run every step even when a cached result exists");
  run->add_option("--jobs,-j", args->options.jobs,
                  "Steps running at once (with --executor slurm: --max-hosts)")
      ->check(CLI::Range(1, 100000))
      ->each([args](const std::string&) { args->jobs_given = true; });
  run->add_flag("--json", args->json, "Print one JSON event per line on stdout");
  run->add_flag("--plain", args->plain, "Timestamped log lines even on a terminal");
  run->add_option(
         "--listen", args->options.listen,
         "Endpoint hosts connect to (for hosts on other machines, e.g. tcp://0.0.0.0:5555)")
      ->each([args](const std::string&) { args->listen_given = true; });
  run->add_option("--server-key", args->options.server_key_file,
                  "Orchestrator key file (securemark keys new); default: a new key per run");
  run->add_option("--allow-key", args->options.allowed_keys,
                  "Public key (or .pub file) of a remote host allowed to join (repeatable)");
  run->add_flag("!--no-local-hosts", args->options.local_hosts,
                "Start no local hosts; wait for hosts that join with --allow-key");
  run->add_option("--heartbeat-timeout", args->options.heartbeat_timeout_s,
                  "Seconds without a heartbeat before a host is declared dead")
      ->check(FiniteRange(0.5, 3600.0));
  AddExecutorOptions(run, args->executor);
  run->callback([&exit_code, args] { exit_code = Run(*args); });
}

}  // namespace securemark::cli
