// Plugin hosts as Slurm jobs: the batch script that starts one, and the sbatch, squeue,
// scancel and sinfo calls that submit, watch, cancel and size them. The parsing is kept
// apart from the commands so that it can be tested without a cluster.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/spec.h"
#include "securemark/status.h"

namespace securemark::runner {

// What a host asks of the node it runs on; zero: the executor's default.
struct HostResources {
  int cpus = 0;
  int64_t memory_mb = 0;
  int64_t time_s = 0;

  // Whether a host holding these can run a step that needs `need`. A default (zero) in
  // `need` is met by anything; an explicit ask only by a host that asked for at least it.
  bool Covers(const HostResources& need) const;
  std::string ToString() const;  // "2 CPUs, 4096 MB, 01:00:00"
};
HostResources ResourcesOf(const pipeline::RuntimeSpec& runtime);

struct SlurmOptions {
  std::string partition;       // "": the cluster's default partition
  int max_hosts = 4;           // host jobs queued or running at once
  int64_t host_time_s = 3600;  // a host job's time limit when its step asks for none
  std::string advertise;       // name or address nodes reach the orchestrator at; "": hostname
  std::string output = "/dev/null";  // sbatch --output of host jobs (%j: the job id)
  std::string host_command;          // securemark-host on the nodes; "": this one's path
  double poll_s = 1.0;               // how often squeue is asked about the run's jobs
  double idle_s = 10;  // a host idle this long is released: its job ends, freeing the node
};

// Everything one host job's script needs.
struct HostJobSpec {
  std::string job_name;  // one per run: the run's jobs can be listed and cancelled by it
  std::string host_command;
  std::string connect;                 // tcp://orchestrator:port
  std::string server_public_key;       // Z85
  std::string public_key, secret_key;  // this host's own pair, allowed for this run only
  std::string library;
  std::string host_id;
  std::string partition;
  std::string output;
  HostResources resources;  // time_s already defaulted
};

// A POSIX sh batch script: #SBATCH lines for the resources, then the host. Its key is
// written to a private temporary file on the node, removed when the job ends.
std::string HostJobScript(const HostJobSpec& spec);

// The job id in `sbatch --parsable` output ("123" or "123;cluster"), skipping warnings.
StatusOr<std::string> ParseSbatchJobId(const std::string& output);

struct SlurmJobState {
  std::string state;   // PENDING, RUNNING, COMPLETED, CANCELLED, PREEMPTED, ...
  std::string reason;  // why a PENDING job waits
};
// `squeue -h -o '%i|%T|%r'` lines by job id.
std::map<std::string, SlurmJobState> ParseSqueue(const std::string& output);
bool IsActive(const std::string& state);  // queued, running, or on its way to either
// Pending reasons Slurm gives for a job it will never start as submitted.
bool NeverStarts(const std::string& reason);

// What the partition's nodes and time limit allow; zero: unlimited or unknown.
struct PartitionLimits {
  std::string partition;
  int cpus = 0;           // the most CPUs one node has
  int64_t memory_mb = 0;  // the most memory one node has
  int64_t time_s = 0;     // the partition's time limit
};
// `sinfo -h -N -o '%P|%l|%c|%m'` output; `partition` "" means the default one (marked *).
StatusOr<PartitionLimits> ParseSinfo(const std::string& output, const std::string& partition);
// What `need` asks beyond the limits, one phrase each ("4 CPUs (nodes have 2)").
std::vector<std::string> Exceeds(const HostResources& need, const PartitionLimits& limits);

// The commands themselves (sbatch, squeue, scancel, sinfo on PATH).
class SlurmClient {
 public:
  // Submits the script file; the error carries sbatch's own words.
  static StatusOr<std::string> Submit(const std::string& script_file);
  // States of the run's jobs, by the job name they share; finished ones may be missing.
  static StatusOr<std::map<std::string, SlurmJobState>> Jobs(const std::string& job_name);
  static void Cancel(const std::vector<std::string>& job_ids);
  // Whether sbatch, squeue and scancel are on PATH.
  static bool Available();
  static StatusOr<PartitionLimits> Limits(const std::string& partition);
};

// For a second Ctrl-C, which exits without unwinding: remembers the run's job name and
// scancel's path now, and cancels by name from a signal handler (fork and execve only).
void RememberJobsToCancel(const std::string& job_name);
void CancelRememberedJobsNow();

}  // namespace securemark::runner
