// Runs a compiled pipeline: dispatches ready step instances to plugin hosts (up to `jobs`
// at once), records every execution and artifact in the store, reuses COMPLETE executions
// whose fingerprint matches (CACHED), retries failures, enforces timeouts, and skips the
// dependents of what failed while independent branches finish.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "runner/progress.h"
#include "runner/slurm.h"
#include "securemark/status.h"

namespace securemark::runner {

struct RunOptions {
  std::string store_dir = "securemark-store";
  std::string pipeline_file;
  int jobs = 2;
  bool force = false;
  std::string listen = "tcp://127.0.0.1:0";
  std::string server_key_file;
  std::vector<std::string> allowed_keys;
  double heartbeat_timeout_s = 10;
  bool local_hosts = true;  // false: only hosts that join from elsewhere run steps
  // Set: hosts are Slurm jobs (at most max_hosts at once) instead of local processes.
  std::optional<SlurmOptions> slurm;
  // The number of a signal that asked the run to stop (set from a signal handler; 0:
  // none): hosts are told to shut down, running executions become CANCELED with it as
  // the reason, and what has not started is skipped.
  const std::atomic<int>* interrupted = nullptr;
};

// Removes the run's temporary key files and cancels its Slurm jobs at once.
// Async-signal-safe: for a second Ctrl-C that exits without unwinding.
void RemoveRunFilesNow();

StatusOr<RunSummary> RunPlan(const pipeline::Plan& plan, const RunOptions& options,
                             ProgressSink& progress);

}  // namespace securemark::runner
