// Runs a compiled pipeline: dispatches ready step instances to plugin hosts (up to `jobs`
// at once), records every execution and artifact in the store, reuses COMPLETE executions
// whose fingerprint matches (CACHED), retries failures, enforces timeouts, and skips the
// dependents of what failed while independent branches finish.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "runner/progress.h"
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
  // Set from a signal handler to stop the run: running executions become CANCELED.
  const std::atomic<bool>* interrupted = nullptr;
};

StatusOr<RunSummary> RunPlan(const pipeline::Plan& plan, const RunOptions& options,
                             ProgressSink& progress);

}  // namespace securemark::runner
