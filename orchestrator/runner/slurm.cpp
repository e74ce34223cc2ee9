#include "runner/slurm.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <sstream>

#include "pipeline/quantities.h"
#include "util/process.h"

extern char** environ;

namespace securemark::runner {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

std::vector<std::string> Split(const std::string& s, char by) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, by)) out.push_back(field);
  if (!s.empty() && s.back() == by) out.emplace_back();
  return out;
}

// A word for sh, single-quoted.
std::string Quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// sinfo's numbers: "2", "16000", "2+" (at least); anything else is unknown.
int64_t LeadingNumber(const std::string& s) {
  size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || n > 12) return 0;
  return std::stoll(s.substr(0, n));
}

}  // namespace

bool HostResources::Covers(const HostResources& need) const {
  const auto covers = [](int64_t have, int64_t asked) { return asked == 0 || have >= asked; };
  return covers(cpus, need.cpus) && covers(memory_mb, need.memory_mb) &&
         covers(time_s, need.time_s);
}

std::string HostResources::ToString() const {
  std::string out = (cpus ? std::to_string(cpus) : std::string("default")) + " CPUs, " +
                    (memory_mb ? std::to_string(memory_mb) + " MB" : std::string("default memory"));
  if (time_s) out += ", " + pipeline::FormatSlurmTime(time_s);
  return out;
}

HostResources ResourcesOf(const pipeline::RuntimeSpec& runtime) {
  HostResources r;
  r.cpus = runtime.cpus.value_or(0);
  r.memory_mb = runtime.memory_mb.value_or(0);
  r.time_s = runtime.time_s.value_or(0);
  return r;
}

std::string HostJobScript(const HostJobSpec& s) {
  std::ostringstream out;
  out << "#!/bin/sh\n";
  out << "#SBATCH --job-name=" << s.job_name << "\n";
  out << "#SBATCH --output=" << s.output << "\n";
  out << "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
  if (!s.partition.empty()) out << "#SBATCH --partition=" << s.partition << "\n";
  if (s.resources.cpus > 0) out << "#SBATCH --cpus-per-task=" << s.resources.cpus << "\n";
  if (s.resources.memory_mb > 0) out << "#SBATCH --mem=" << s.resources.memory_mb << "M\n";
  if (s.resources.time_s > 0)
    out << "#SBATCH --time=" << pipeline::FormatSlurmTime(s.resources.time_s) << "\n";
  out << "# A securemark plugin host (" << s.host_id << ") serving " << s.library << "\n";
  // The host's BLAS and OpenMP pools get the CPUs Slurm gave the job, not the node's.
  out << "threads=\"${SLURM_CPUS_PER_TASK:-1}\"\n";
  out << "export OMP_NUM_THREADS=\"$threads\" OPENBLAS_NUM_THREADS=\"$threads\"\n";
  out << "umask 077\n";
  out << "key=\"$(mktemp \"${TMPDIR:-/tmp}/securemark-host-XXXXXX\")\" || exit 1\n";
  out << "trap 'rm -f \"$key\"' EXIT\n";
  out << "trap 'exit 143' TERM INT\n";
  out << "cat > \"$key\" <<'SECUREMARK_HOST_KEY'\n";
  out << "public " << s.public_key << "\nsecret " << s.secret_key << "\n";
  out << "SECUREMARK_HOST_KEY\n";
  out << Quoted(s.host_command) << " serve --connect " << Quoted(s.connect) << " --server-key "
      << Quoted(s.server_public_key) << " --key \"$key\" --library " << Quoted(s.library)
      << " --id " << Quoted(s.host_id) << " --heartbeat-ms 500\n";
  return out.str();
}

StatusOr<std::string> ParseSbatchJobId(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    line = Trim(line);
    const std::string id = line.substr(0, line.find(';'));
    if (AllDigits(id)) return id;
  }
  return InvalidArgumentError("sbatch printed no job id: " + Trim(output));
}

std::map<std::string, SlurmJobState> ParseSqueue(const std::string& output) {
  std::map<std::string, SlurmJobState> jobs;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f = Split(Trim(line), '|');
    if (f.size() < 2 || !AllDigits(f[0])) continue;
    jobs[f[0]] = {f[1], f.size() > 2 ? f[2] : ""};
  }
  return jobs;
}

bool IsActive(const std::string& state) {
  static const std::set<std::string> active = {
      "PENDING",     "RUNNING",      "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED",
      "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING",    "SIGNALING",  "STAGE_OUT", "RESV_DEL_HOLD"};
  return active.count(state) > 0;
}

bool NeverStarts(const std::string& reason) {
  // Slurm's reasons for a job that cannot run as asked (as opposed to Resources, Priority
  // and the like, which only mean "not yet").
  static const std::set<std::string> never = {"PartitionConfig",
                                              "PartitionTimeLimit",
                                              "PartitionNodeLimit",
                                              "PartitionDown",
                                              "PartitionInactive",
                                              "BadConstraints",
                                              "InvalidAccount",
                                              "InvalidQOS",
                                              "QOSMaxCpuPerJobLimit",
                                              "QOSMaxMemoryPerJob",
                                              "QOSMaxWallDurationPerJobLimit",
                                              "AssocMaxWallDurationPerJobLimit",
                                              "AssocMaxCpuPerJobLimit",
                                              "AccountNotAllowed",
                                              "QOSJobLimit",
                                              "ReqNodeNotAvail, UnavailableNodes",
                                              "MaxMemPerLimit"};
  return never.count(reason) > 0;
}

StatusOr<PartitionLimits> ParseSinfo(const std::string& output, const std::string& partition) {
  PartitionLimits limits;
  std::set<std::string> seen;
  bool found = false;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f = Split(Trim(line), '|');
    if (f.size() < 4) continue;
    std::string name = f[0];
    const bool is_default = !name.empty() && name.back() == '*';
    if (is_default) name.pop_back();
    seen.insert(name);
    if (partition.empty() ? !is_default : name != partition) continue;
    found = true;
    limits.partition = name;
    // sinfo prints limits in clock form; "infinite" and "n/a" leave it unlimited.
    if (f[1].find(':') != std::string::npos) {
      if (auto t = pipeline::ParseDurationSeconds(nlohmann::json(f[1]))) limits.time_s = *t;
    }
    limits.cpus = std::max<int>(limits.cpus, static_cast<int>(LeadingNumber(f[2])));
    limits.memory_mb = std::max(limits.memory_mb, LeadingNumber(f[3]));
  }
  if (!found) {
    std::string names;
    for (const std::string& n : seen) names += (names.empty() ? "" : ", ") + n;
    return NotFoundError(partition.empty()
                             ? "the cluster has no default partition; name one with --partition"
                               " (partitions: " +
                                   names + ")"
                             : "no Slurm partition named '" + partition +
                                   "' (partitions: " + (names.empty() ? "none" : names) + ")");
  }
  return limits;
}

std::vector<std::string> Exceeds(const HostResources& need, const PartitionLimits& limits) {
  std::vector<std::string> out;
  if (limits.cpus > 0 && need.cpus > limits.cpus)
    out.push_back(std::to_string(need.cpus) + " CPUs (its nodes have at most " +
                  std::to_string(limits.cpus) + ")");
  if (limits.memory_mb > 0 && need.memory_mb > limits.memory_mb)
    out.push_back(std::to_string(need.memory_mb) + " MB of memory (its nodes have at most " +
                  std::to_string(limits.memory_mb) + " MB)");
  if (limits.time_s > 0 && need.time_s > limits.time_s)
    out.push_back(pipeline::FormatSlurmTime(need.time_s) + " of time (its limit is " +
                  pipeline::FormatSlurmTime(limits.time_s) + ")");
  return out;
}

StatusOr<std::string> SlurmClient::Submit(const std::string& script_file) {
  SM_ASSIGN_OR_RETURN(ProcessResult r,
                      RunProcess({"sbatch", "--parsable", script_file}, true, true));
  if (r.exit_code != 0) {
    return FailedPreconditionError(Trim(r.output).empty() ? "sbatch failed (exit code " +
                                                                std::to_string(r.exit_code) + ")"
                                                          : Trim(r.output));
  }
  return ParseSbatchJobId(r.output);
}

StatusOr<std::map<std::string, SlurmJobState>> SlurmClient::Jobs(const std::string& job_name) {
  SM_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({"squeue", "-h", "--states=all", "--name",
                                                   job_name, "-o", "%i|%T|%r"},
                                                  true, true));
  if (r.exit_code != 0) return UnavailableError("squeue failed: " + Trim(r.output));
  return ParseSqueue(r.output);
}

void SlurmClient::Cancel(const std::vector<std::string>& job_ids) {
  if (job_ids.empty()) return;
  std::vector<std::string> argv = {"scancel"};
  argv.insert(argv.end(), job_ids.begin(), job_ids.end());
  (void)RunProcess(argv, true, true);
}

StatusOr<PartitionLimits> SlurmClient::Limits(const std::string& partition) {
  SM_ASSIGN_OR_RETURN(ProcessResult r,
                      RunProcess({"sinfo", "-h", "-N", "-o", "%P|%l|%c|%m"}, true, true));
  if (r.exit_code != 0) return UnavailableError("sinfo failed: " + Trim(r.output));
  return ParseSinfo(r.output, partition);
}

namespace {

// The first executable `name` on PATH, or "".
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const std::string& dir : Split(path ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

bool SlurmClient::Available() {
  return !OnPath("sbatch").empty() && !OnPath("squeue").empty() && !OnPath("scancel").empty();
}

namespace {
char g_scancel[4096];
char g_job_name[256];
}  // namespace

void RememberJobsToCancel(const std::string& job_name) {
  g_scancel[0] = '\0';
  const std::string scancel = OnPath("scancel");
  if (scancel.size() < sizeof g_scancel) std::strcpy(g_scancel, scancel.c_str());
  if (job_name.size() >= sizeof g_job_name) return;
  std::strcpy(g_job_name, job_name.c_str());
}

void CancelRememberedJobsNow() {
  if (g_scancel[0] == '\0' || g_job_name[0] == '\0') return;
  const pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("scancel"), const_cast<char*>("--name"), g_job_name, nullptr};
    execve(g_scancel, argv, environ);
    _exit(127);
  }
}

}  // namespace securemark::runner
