// The orchestrator's side of the plugin hosts: one ROUTER socket (CURVE, ZAP allow-list),
// local securemark-host processes it starts, remote ones that join with a listed key,
// heartbeats both ways, and detection of hosts that die or fall silent.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "runner/slurm.h"
#include "securemark/status.h"
#include "transport/curve.h"
#include "transport/messages.h"

namespace securemark::runner {

using Clock = std::chrono::steady_clock;

struct HostPoolOptions {
  std::string listen = "tcp://127.0.0.1:0";
  std::string server_key_file;            // fixed key pair for remote hosts; else per run
  std::vector<std::string> allowed_keys;  // public keys (Z85 or files) of remote hosts
  std::string work_dir;                   // per-run key files live here (0700)
  std::chrono::milliseconds heartbeat_timeout{10000};
  // How long a local host may take to say HELLO. Loading LibTorch and a plugin takes
  // seconds, and far longer when dozens of hosts start at once on two cores; a host
  // that is still starting is not dead, and killing it only starts the load again. A host
  // that crashes while starting is still seen at once (its exit status).
  std::chrono::milliseconds startup_timeout{180000};
  // Set: hosts the pool launches are Slurm jobs, each with a key of its own; else local
  // processes sharing one key.
  std::optional<SlurmOptions> slurm;
};

struct Host {
  std::string id;
  int pid = 0;  // local hosts only
  bool local = false;
  std::string address;  // where other parties reach this host: its IP as the orchestrator sees it
  std::string library;
  std::set<std::string> plugins;  // known after HELLO
  bool ready = false;
  bool retiring = false;
  std::string task;  // current task id, "" when idle
  Clock::time_point last_heard;
  Clock::time_point last_sent;
  // Slurm hosts: the job, what it was given, its own public key, and whether Slurm has
  // started it (a queued job is waiting, not late).
  std::string job;
  HostResources resources;
  std::string public_key;
  bool job_started = false;
  std::string launched_for;  // the step whose need launched it
  bool refused = false;      // Slurm will never start it as asked
  std::optional<Clock::time_point> idle_since;

  bool launched() const { return local || !job.empty(); }
  // Whether it can run a step that needs `need` (local hosts take anything).
  bool Fits(const HostResources& need) const { return job.empty() || resources.Covers(need); }
};

struct Incoming {
  std::string host;
  transport::Message message;
};

class HostPool {
 public:
  static StatusOr<std::unique_ptr<HostPool>> Create(const HostPoolOptions& options);
  ~HostPool();

  const std::string& endpoint() const { return endpoint_; }
  const std::string& connect_endpoint() const { return connect_; }  // what hosts dial
  std::map<std::string, Host>& hosts() { return hosts_; }
  bool slurm() const { return options_.slurm.has_value(); }
  // Hosts the pool started (local processes or Slurm jobs), not those that joined.
  size_t LaunchedCount() const;

  // Starts a host serving `library` for a step needing `need` (`for_step` names it in
  // errors): a local process, or a Slurm job. It counts as busy until its HELLO arrives.
  StatusOr<std::string> Launch(const std::string& library, const HostResources& need,
                               const std::string& for_step);
  Host* FindIdle(const std::string& plugin, const HostResources& need = {});

  // Starting hosts already promised to ready steps during one dispatch pass, per kind.
  using Claims = std::map<std::string, size_t>;
  // Sees that a host will come for one more ready step of `library` needing `need`: one
  // already starting for it and not yet promised to another step (claimed), else a new
  // host when fewer than `limit` are launched (0: launch none; wait for remote hosts),
  // else an idle launched host of another kind is retired to make room on a later pass.
  // Returns the id of a host it launched, "" when it launched none, or why it could not.
  StatusOr<std::string> Provide(const std::string& library, const HostResources& need,
                                const std::string& for_step, size_t limit, Claims& claimed);
  Status Send(const std::string& host, const transport::Message& message);

  // Waits up to `timeout` for messages; answers ZAP requests and heartbeats on the way.
  // HELLOs register hosts; malformed messages are dropped with a note in `notes`.
  std::vector<Incoming> Poll(std::chrono::milliseconds timeout, std::vector<std::string>& notes);

  // Hosts gone since the last call, with why: a local process that exited or was killed,
  // or a host silent for longer than the heartbeat timeout (killed if local).
  std::vector<std::pair<Host, std::string>> ReapDead();
  void Kill(const std::string& host);
  void Retire(const std::string& host);  // SHUTDOWN once idle work is done
  // Retires Slurm hosts idle for longer than SlurmOptions::idle_s; returns what it did.
  std::vector<std::string> ReleaseIdle();
  void ShutdownAll();

 private:
  HostPool(const HostPoolOptions& options, zmq::context_t context);
  StatusOr<std::string> StartLocal(const std::string& library);
  StatusOr<std::string> SubmitSlurm(const std::string& library, const HostResources& need,
                                    const std::string& for_step);
  // Asks Slurm about the run's jobs (at most every poll_s) and reports those that ended.
  void WatchJobs(std::vector<std::pair<Host, std::string>>& dead);
  void Forget(std::map<std::string, Host>::iterator it);

  HostPoolOptions options_;
  zmq::context_t context_;
  std::unique_ptr<transport::ZapHandler> zap_;
  std::unique_ptr<zmq::socket_t> router_;
  std::string endpoint_;
  std::string server_public_file_;
  std::string host_key_file_;
  std::string server_public_key_;
  std::string connect_;   // what hosts connect to
  std::string job_name_;  // shared by the run's Slurm jobs
  Clock::time_point last_watch_;
  std::map<std::string, Host> hosts_;
  int next_id_ = 1;
};

}  // namespace securemark::runner
