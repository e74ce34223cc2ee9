// Where `securemark run` starts plugin hosts (--executor local|slurm and the Slurm
// options), shared with `securemark validate`, which checks steps against the partition.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/plan.h"
#include "runner/slurm.h"

namespace securemark::cli {

struct ExecutorArgs {
  std::string executor = "local";
  runner::SlurmOptions slurm;
  std::string host_time = "1h";
  std::string host_idle = "10s";
  std::vector<std::string> slurm_only_given;  // Slurm options given, for --executor local
};

void AddExecutorOptions(CLI::App* command, ExecutorArgs& args);

// The Slurm options when --executor slurm; a Status for a malformed --host-time.
StatusOr<std::optional<runner::SlurmOptions>> SlurmOptionsOf(const ExecutorArgs& args);

// Steps whose runtime asks for more than the partition's nodes or time limit allow, as
// diagnostics at the step's runtime. An unknown partition is one diagnostic; limits that
// cannot be read (no sinfo, no controller) are a Status, for the caller to warn about.
StatusOr<std::vector<pipeline::Diagnostic>> CheckPartition(const pipeline::Plan& plan,
                                                           const runner::SlurmOptions& slurm);
// CheckPartition for a command: prints what it found on stderr (a warning when the limits
// are unknown) and tells whether the plan may go to the partition.
bool PartitionAllows(const pipeline::Plan& plan, const runner::SlurmOptions& slurm);

}  // namespace securemark::cli
