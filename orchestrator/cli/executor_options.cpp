#include "cli/executor_options.h"

#include <iostream>
#include <set>

#include "cli/pipeline_loading.h"

#include "pipeline/quantities.h"

namespace securemark::cli {

void AddExecutorOptions(CLI::App* command, ExecutorArgs& args) {
  command->add_option("--executor", args.executor, "Where plugin hosts run: local or slurm")
      ->check(CLI::IsMember({"local", "slurm"}));
  command->add_option("--partition", args.slurm.partition,
                      "Slurm partition for host jobs (default: the cluster's default)");
  command
      ->add_option("--max-hosts", args.slurm.max_hosts, "Slurm host jobs queued or running at once")
      ->check(CLI::Range(1, 100000));
  command->add_option("--host-time", args.host_time,
                      "Time limit of a Slurm host job whose step asks for none (e.g. 30m, "
                      "2h, 1-00:00:00)");
  command->add_option("--host-idle", args.host_idle,
                      "Release a Slurm host job idle this long (e.g. 10s, 5m)");
  command->add_option("--advertise", args.slurm.advertise,
                      "Name or address Slurm nodes reach this machine at (default: hostname)");
  command->add_option("--host-output", args.slurm.output,
                      "sbatch --output of host jobs, on the node (%j: job id)");
  command->add_option("--host-command", args.slurm.host_command,
                      "securemark-host on the nodes (default: this installation's)");
  for (const char* name : {"--partition", "--max-hosts", "--host-time", "--host-idle",
                           "--advertise", "--host-output", "--host-command"}) {
    command->get_option(name)->each(
        [&args, name](const std::string&) { args.slurm_only_given.push_back(name); });
  }
}

StatusOr<std::optional<runner::SlurmOptions>> SlurmOptionsOf(const ExecutorArgs& args) {
  if (args.executor != "slurm") {
    // A Slurm option on a local run is a mistake worth saying, not a setting to ignore.
    if (!args.slurm_only_given.empty())
      return InvalidArgumentError(args.slurm_only_given.front() +
                                  " applies to Slurm host jobs; add --executor slurm");
    return std::optional<runner::SlurmOptions>();
  }
  runner::SlurmOptions slurm = args.slurm;
  std::optional<int64_t> time = pipeline::ParseDurationSeconds(nlohmann::json(args.host_time));
  if (!time)
    return InvalidArgumentError(
        "--host-time: expected a duration like 30m, 2h or 1-00:00:00, got '" + args.host_time +
        "'");
  slurm.host_time_s = *time;
  std::optional<int64_t> idle = pipeline::ParseDurationSeconds(nlohmann::json(args.host_idle));
  if (!idle)
    return InvalidArgumentError("--host-idle: expected a duration like 10s or 5m, got '" +
                                args.host_idle + "'");
  slurm.idle_s = static_cast<double>(*idle);
  return std::optional<runner::SlurmOptions>(slurm);
}

StatusOr<std::vector<pipeline::Diagnostic>> CheckPartition(const pipeline::Plan& plan,
                                                           const runner::SlurmOptions& slurm) {
  std::vector<pipeline::Diagnostic> diagnostics;
  StatusOr<runner::PartitionLimits> limits = runner::SlurmClient::Limits(slurm.partition);
  if (!limits.ok()) {
    if (limits.status().code() != StatusCode::kNotFound) return limits.status();
    diagnostics.push_back({{"--partition", 0, 0}, std::string(limits.status().message())});
    return diagnostics;
  }
  std::set<std::string> reported;  // a foreach step's instances ask the same
  for (const pipeline::Instance& instance : plan.instances) {
    runner::HostResources need = runner::ResourcesOf(instance.runtime);
    if (need.time_s == 0) need.time_s = slurm.host_time_s;
    const std::vector<std::string> excess = runner::Exceeds(need, *limits);
    if (excess.empty() || !reported.insert(instance.step_id).second) continue;
    std::string what;
    for (const std::string& e : excess) what += (what.empty() ? "" : ", ") + e;
    const bool asked_time = instance.runtime.time_s.has_value();
    diagnostics.push_back(
        {instance.runtime.at.line ? instance.runtime.at : instance.at,
         "step '" + instance.step_id + "' asks Slurm partition '" + limits->partition + "' for " +
             what +
             (asked_time || need.time_s <= limits->time_s || limits->time_s == 0
                  ? ""
                  : "; the time is --host-time's, since the step asks for none")});
  }
  return diagnostics;
}

bool PartitionAllows(const pipeline::Plan& plan, const runner::SlurmOptions& slurm) {
  StatusOr<std::vector<pipeline::Diagnostic>> refused = CheckPartition(plan, slurm);
  if (!refused.ok()) {
    std::cerr << "securemark: warning: the partition's limits are not known ("
              << refused.status().message() << "); Slurm will judge each host job\n";
    return true;
  }
  if (refused->empty()) return true;
  PrintDiagnostics(*refused);
  return false;
}

}  // namespace securemark::cli
