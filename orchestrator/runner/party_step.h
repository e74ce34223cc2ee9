// One attempt at a multi-party step. Every party gets a host of its own and fresh CURVE
// keys; the first party (the listener) is started first, the others once it announced
// where it listens. A non-listening party whose host dies or whose plugin fails is
// started again with the same identity so that it can rejoin; the step's outcome is the
// listener's.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "runner/host_pool.h"
#include "runner/progress.h"
#include "transport/curve.h"

namespace securemark::runner {

struct PartyStepOptions {
  bool local_hosts = true;
  std::string state_dir;  // per-party subdirectories survive retries of the step
  int restarts_per_party = 3;
  // How long the others may take to finish once the listener has.
  std::chrono::seconds grace{30};
};

class PartyStep {
 public:
  enum class Outcome { kRunning, kSucceeded, kFailed };

  // Inputs per role: a TASK message carrying the inputs of every party of that role (the
  // step's inputs for the first party's; "role/port" bindings for the others). A role
  // without an entry gets none.
  using InputsByRole = std::map<std::string, transport::Message>;
  PartyStep(const pipeline::Instance& instance, int64_t execution, InputsByRole inputs,
            PartyStepOptions options);

  // Task ids "<execution>/<party>": messages carrying them belong to this step.
  std::vector<std::string> TaskIds() const;
  // Claims or starts hosts and sends the TASKs that can go now.
  Status Advance(HostPool& pool, ProgressSink& progress);
  void Handle(const Incoming& in, HostPool& pool, ProgressSink& progress);
  // A host of this step is gone.
  void HostDied(const std::string& host, const std::string& why, ProgressSink& progress);
  // Kills the hosts of parties still running (their protocol state is worthless now) and
  // retires the others.
  void Release(HostPool& pool);

  Outcome outcome() const { return outcome_; }
  const std::string& error() const { return error_; }
  // RESULT messages of the parties that finished, by party name, listener first.
  std::vector<std::pair<const pipeline::PartyInstance*, transport::Message>> TakeResults();
  bool UsesHost(const std::string& host) const;
  // Each party's Slurm jobs so far, "hub=12 member@0=13,15" (restarted parties list every
  // job they had); "" when no party ran on Slurm.
  std::string SlurmJobs() const;

 private:
  struct Party {
    const pipeline::PartyInstance* spec = nullptr;
    PartyInfo info;
    std::string host;
    bool sent = false;
    bool finished = false;
    bool given_up = false;
    int starts = 0;
    std::vector<std::string> jobs;  // Slurm jobs of its hosts, in order
    transport::Message result;
  };

  std::string TaskId(const Party& p) const;
  Party* FindByTask(const std::string& task);
  Status Claim(Party& p, HostPool& pool, ProgressSink& progress);
  Status Send(Party& p, HostPool& pool, ProgressSink& progress);
  void PartyLost(Party& p, const std::string& why, ProgressSink& progress);
  void Settle();

  const pipeline::Instance& instance_;
  int64_t execution_;
  InputsByRole inputs_;
  PartyStepOptions options_;
  std::vector<Party> parties_;  // [0] listens
  std::string endpoint_;        // announced by the listener
  Clock::time_point listener_done_;
  Outcome outcome_ = Outcome::kRunning;
  std::string error_;
};

}  // namespace securemark::runner
