// A plan instance as the runner schedules it: its state, its attempts, what went in and
// came out, and the join counter that makes it ready.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "runner/party_step.h"
#include "runner/runner.h"
#include "store.h"

namespace securemark::runner {

// Attempts lost with their host that are retried on top of the step's own `retries`.
inline constexpr int kHostLossRetries = 2;

enum class TaskState { kWaiting, kRunning, kDone, kFailed, kSkipped };

struct Task {
  const pipeline::Instance* instance = nullptr;
  TaskState state = TaskState::kWaiting;
  int attempts = 0;
  int host_losses = 0;  // attempts that failed because their host died
  int64_t execution = 0;
  std::string host;
  Clock::time_point started;
  std::vector<store::EventSpec> inputs;
  std::vector<std::pair<std::string, std::string>> input_types;  // per input: port, type
  std::string fingerprint;
  bool prepared = false;  // inputs resolved, fingerprint computed, cache consulted
  std::map<std::string, std::vector<int64_t>> outputs;  // port -> artifact ids by index
  std::string error;
  std::unique_ptr<PartyStep> party;  // multi-party steps, while an attempt runs
  size_t order = 0;                  // position in the plan: ties are started in plan order
  size_t unmet = 0;                  // dependencies not yet done
  std::vector<Task*> dependents;
};

}  // namespace securemark::runner
