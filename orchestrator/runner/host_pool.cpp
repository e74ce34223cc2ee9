#include "runner/host_pool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include <zmq_addon.hpp>

#include "securemark/files.h"
#include "transport/sockets.h"
#include "util/process.h"

namespace securemark::runner {

using nlohmann::json;

HostPool::HostPool(const HostPoolOptions& options, zmq::context_t context)
    : options_(options), context_(std::move(context)) {}

HostPool::~HostPool() { ShutdownAll(); }

StatusOr<std::unique_ptr<HostPool>> HostPool::Create(const HostPoolOptions& options) {
  std::unique_ptr<HostPool> pool(new HostPool(options, zmq::context_t(1)));
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  std::filesystem::permissions(options.work_dir, std::filesystem::perms::owner_all, ec);
  transport::KeyPair server;
  if (options.server_key_file.empty()) {
    server = transport::NewKeyPair();
  } else {
    SM_ASSIGN_OR_RETURN(server, transport::ReadKeyPair(options.server_key_file));
  }
  // Local hosts share one key pair made for this run; it is the only key allowed unless
  // remote hosts' keys are listed.
  transport::KeyPair local = transport::NewKeyPair();
  pool->host_key_file_ = options.work_dir + "/local-host";
  SM_RETURN_IF_ERROR(transport::WriteKeyPair(pool->host_key_file_, local));
  pool->host_key_file_ += ".key";
  pool->server_public_file_ = options.work_dir + "/orchestrator.pub";
  SM_RETURN_IF_ERROR(WriteFileAtomic(pool->server_public_file_, server.public_key + "\n"));

  pool->zap_ = std::make_unique<transport::ZapHandler>(pool->context_);
  pool->zap_->Allow(local.public_key);
  for (const std::string& key : options.allowed_keys) {
    SM_ASSIGN_OR_RETURN(std::string z85, transport::ReadPublicKey(key));
    pool->zap_->Allow(z85);
  }
  pool->router_ = std::make_unique<zmq::socket_t>(pool->context_, zmq::socket_type::router);
  transport::ConfigureSocket(*pool->router_);
  pool->router_->set(zmq::sockopt::router_mandatory, 1);
  pool->router_->set(zmq::sockopt::curve_server, 1);
  pool->router_->set(zmq::sockopt::curve_secretkey, server.secret_key);
  try {
    pool->router_->bind(options.listen);
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot listen on " + options.listen + ": " + e.what());
  }
  pool->endpoint_ = pool->router_->get(zmq::sockopt::last_endpoint);
  pool->server_public_key_ = server.public_key;
  pool->connect_ = pool->endpoint_;
  const size_t wildcard = pool->connect_.find("0.0.0.0");
  if (options.slurm) {
    // Nodes reach the orchestrator by a name they can resolve, not by the bound address.
    std::string advertise = options.slurm->advertise;
    if (advertise.empty()) {
      char name[256] = {};
      gethostname(name, sizeof name - 1);
      advertise = name;
    }
    const size_t colon = pool->endpoint_.rfind(':');
    pool->connect_ = "tcp://" + advertise + pool->endpoint_.substr(colon);
    std::random_device random;
    char tag[16];
    std::snprintf(tag, sizeof tag, "%08x", random());
    pool->job_name_ = std::string("securemark-") + tag;
    RememberJobsToCancel(pool->job_name_);
  } else if (wildcard != std::string::npos) {
    // A wildcard bind is reached locally through the loopback address.
    pool->connect_.replace(wildcard, 7, "127.0.0.1");
  }
  return pool;
}

size_t HostPool::LaunchedCount() const {
  size_t n = 0;
  for (const auto& [id, h] : hosts_) n += h.launched();
  return n;
}

StatusOr<std::string> HostPool::Launch(const std::string& library, const HostResources& need,
                                       const std::string& for_step) {
  if (options_.slurm) return SubmitSlurm(library, need, for_step);
  return StartLocal(library);
}

StatusOr<std::string> HostPool::StartLocal(const std::string& library) {
  const std::string id = "host-" + std::to_string(next_id_++);
  const std::string connect = connect_;
  SM_ASSIGN_OR_RETURN(
      int pid,
      StartProcess({SiblingExecutable("securemark-host"), "serve", "--connect", connect,
                    "--server-key", server_public_file_, "--key", host_key_file_, "--library",
                    library, "--id", id, "--heartbeat-ms", "500", "--exit-with-parent"}));
  Host host;
  host.id = id;
  host.pid = pid;
  host.local = true;
  host.address = "127.0.0.1";
  host.library = library;
  host.last_heard = host.last_sent = Clock::now();
  hosts_[id] = host;
  return id;
}

StatusOr<std::string> HostPool::SubmitSlurm(const std::string& library, const HostResources& need,
                                            const std::string& for_step) {
  const SlurmOptions& slurm = *options_.slurm;
  const std::string id = "host-" + std::to_string(next_id_++);
  // Each job gets a key of its own, allowed under its id: a job cannot pose as another
  // host, and its key is refused again once the job is gone.
  const transport::KeyPair keys = transport::NewKeyPair();
  HostJobSpec spec;
  spec.job_name = job_name_;
  spec.host_command =
      slurm.host_command.empty() ? SiblingExecutable("securemark-host") : slurm.host_command;
  spec.connect = connect_;
  spec.server_public_key = server_public_key_;
  spec.public_key = keys.public_key;
  spec.secret_key = keys.secret_key;
  spec.library = library;
  spec.host_id = id;
  spec.partition = slurm.partition;
  spec.output = slurm.output;
  spec.resources = need;
  if (spec.resources.time_s == 0) spec.resources.time_s = slurm.host_time_s;
  const std::string script = options_.work_dir + "/" + id + ".sbatch";
  SM_RETURN_IF_ERROR(WriteFileAtomic(script, HostJobScript(spec), 0600));
  StatusOr<std::string> job = SlurmClient::Submit(script);
  std::error_code ec;
  std::filesystem::remove(script, ec);  // it holds the host's secret key
  if (!job.ok())
    return FailedPreconditionError("Slurm refused the host job for step " + for_step + " (" +
                                   spec.resources.ToString() +
                                   "): " + std::string(job.status().message()));
  zap_->Allow(keys.public_key, id);
  Host host;
  host.id = id;
  host.job = *job;
  host.library = library;
  host.resources = spec.resources;
  host.public_key = keys.public_key;
  host.launched_for = for_step;
  host.last_heard = host.last_sent = Clock::now();
  hosts_[id] = host;
  return id;
}

StatusOr<std::string> HostPool::Provide(const std::string& library, const HostResources& need,
                                        const std::string& for_step, size_t limit,
                                        Claims& claimed) {
  const std::string kind = library + "|" + need.ToString();
  size_t starting = 0;
  for (const auto& [id, h] : hosts_)
    starting += !h.ready && h.task.empty() && h.library == library && h.Fits(need);
  if (claimed[kind] < starting) {
    ++claimed[kind];
    return std::string();
  }
  if (LaunchedCount() >= limit) {
    if (limit == 0) return std::string();
    for (auto& [id, h] : hosts_) {
      if (h.launched() && h.ready && h.task.empty() && !h.retiring) {
        Retire(id);
        break;
      }
    }
    return std::string();
  }
  SM_ASSIGN_OR_RETURN(std::string id, Launch(library, need, for_step));
  ++claimed[kind];
  return id;
}

Host* HostPool::FindIdle(const std::string& plugin, const HostResources& need) {
  for (auto& [id, h] : hosts_) {
    if (h.ready && !h.retiring && h.task.empty() && h.plugins.count(plugin) && h.Fits(need))
      return &h;
  }
  return nullptr;
}

Status HostPool::Send(const std::string& host, const transport::Message& message) {
  std::vector<std::string> frames = transport::EncodeMessage(message);
  frames.insert(frames.begin(), host);
  try {
    transport::SendFrames(*router_, frames);
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot send to " + host + ": " + e.what());
  }
  if (auto it = hosts_.find(host); it != hosts_.end()) it->second.last_sent = Clock::now();
  return OkStatus();
}

std::vector<Incoming> HostPool::Poll(std::chrono::milliseconds timeout,
                                     std::vector<std::string>& notes) {
  std::vector<Incoming> incoming;
  zmq::pollitem_t items[] = {{static_cast<void*>(*router_), 0, ZMQ_POLLIN, 0},
                             {static_cast<void*>(zap_->socket()), 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 2, timeout);
  } catch (const zmq::error_t& e) {
    // A signal during the wait (Ctrl-C): the caller looks at why and decides.
    if (e.num() == EINTR) return incoming;
    notes.push_back(std::string("polling hosts failed: ") + e.what());
    return incoming;
  }
  if (items[1].revents & ZMQ_POLLIN) {
    std::string refused = zap_->HandleRequest();
    if (!refused.empty()) notes.push_back("refused a host whose key is not allowed: " + refused);
  }
  for (;;) {
    std::vector<zmq::message_t> parts;
    try {
      if (!zmq::recv_multipart(*router_, std::back_inserter(parts), zmq::recv_flags::dontwait))
        break;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) break;
      notes.push_back(std::string("receiving from hosts failed: ") + e.what());
      break;
    }
    std::string id = parts.front().to_string();
    std::string peer_address, user_id;
    if (parts.size() > 1) {
      try {
        peer_address = parts[1].gets("Peer-Address");
        user_id = parts[1].gets("User-Id");
      } catch (const zmq::error_t&) {  // not a TCP connection
      }
    }
    std::vector<std::string> frames;
    for (size_t i = 1; i < parts.size(); ++i) frames.push_back(parts[i].to_string());
    StatusOr<transport::Message> m = transport::DecodeMessage(std::move(frames));
    if (!m.ok()) {
      notes.push_back("dropped a malformed message from " + id + ": " + m.status().message());
      continue;
    }
    auto it = hosts_.find(id);
    // A key made for one host (its user id) speaks only as that host, and a host with a key
    // of its own speaks only with it: a job cannot pose as another or as a new one.
    if ((!user_id.empty() && user_id != id) ||
        (it != hosts_.end() && !it->second.public_key.empty() && user_id != id)) {
      notes.push_back("dropped " + m->kind + " sent as " + id + " with another host's key");
      continue;
    }
    if (m->kind == "HELLO") {
      if (m->header.value("protocol", 0) != transport::kProtocolVersion) {
        notes.push_back("host " + id + " speaks protocol " +
                        m->header.value("protocol", json(0)).dump() + ", expected " +
                        std::to_string(transport::kProtocolVersion));
        continue;
      }
      if (it == hosts_.end()) {  // a remote host joining
        Host h;
        h.id = id;
        h.library = m->header.value("library", "");
        h.address = peer_address;
        it = hosts_.emplace(id, h).first;
        notes.push_back("host " + id + " joined from " + m->header.value("host", "?"));
      }
      if (it->second.address.empty()) it->second.address = peer_address;
      it->second.ready = true;
      it->second.plugins.clear();
      if (m->header.contains("plugins") && m->header["plugins"].is_array()) {
        for (const auto& p : m->header["plugins"]) {
          if (p.is_string()) it->second.plugins.insert(p.get<std::string>());
        }
      }
    } else if (it == hosts_.end()) {
      notes.push_back("dropped " + m->kind + " from unknown host " + id);
      continue;
    }
    it->second.last_heard = Clock::now();
    if (m->kind == "HELLO" || m->kind == "HEARTBEAT") continue;
    incoming.push_back({id, std::move(*m)});
  }
  // Our heartbeats keep idle hosts from deciding the orchestrator is gone.
  for (auto& [id, h] : hosts_) {
    if (h.ready && Clock::now() - h.last_sent > std::chrono::milliseconds(500)) {
      (void)Send(id, {"HEARTBEAT", json::object(), {}});
    }
  }
  return incoming;
}

std::vector<std::pair<Host, std::string>> HostPool::ReapDead() {
  std::vector<std::pair<Host, std::string>> dead;
  if (options_.slurm) WatchJobs(dead);
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    Host& h = it->second;
    std::string why;
    if (h.local) {
      int status = 0;
      if (waitpid(h.pid, &status, WNOHANG) == h.pid) {
        if (WIFSIGNALED(status)) {
          why = "plugin host " + h.id + " (pid " + std::to_string(h.pid) +
                ") was killed by signal " + std::to_string(WTERMSIG(status));
        } else {
          why = "plugin host " + h.id + " (pid " + std::to_string(h.pid) + ") exited with code " +
                std::to_string(WEXITSTATUS(status));
        }
        h.pid = 0;
      }
    }
    const auto allowed = h.ready ? options_.heartbeat_timeout
                                 : std::max(options_.heartbeat_timeout, options_.startup_timeout);
    // A job still in Slurm's queue is waiting for a node, not late.
    const bool queued = !h.job.empty() && !h.job_started;
    if (why.empty() && !queued && Clock::now() - h.last_heard > allowed) {
      why = "plugin host " + h.id +
            (h.ready ? " sent no heartbeat for " : " did not start within ") +
            std::to_string(allowed.count() / 1000) + " s";
      if (h.local && h.pid > 0) {
        ::kill(h.pid, SIGKILL);
        waitpid(h.pid, nullptr, 0);
      }
      if (!h.job.empty()) SlurmClient::Cancel({h.job});
    }
    if (why.empty()) {
      ++it;
      continue;
    }
    dead.emplace_back(h, why);
    auto gone = it++;
    Forget(gone);
  }
  return dead;
}

void HostPool::WatchJobs(std::vector<std::pair<Host, std::string>>& dead) {
  const auto now = Clock::now();
  if (now - last_watch_ < std::chrono::duration<double>(options_.slurm->poll_s)) return;
  last_watch_ = now;
  bool any = false;
  for (const auto& [id, h] : hosts_) any |= !h.job.empty();
  if (!any) return;
  StatusOr<std::map<std::string, SlurmJobState>> jobs = SlurmClient::Jobs(job_name_);
  if (!jobs.ok()) return;  // the heartbeat deadline still sees hosts that are gone
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    Host& h = it->second;
    if (h.job.empty()) {
      ++it;
      continue;
    }
    const std::string job = "Slurm job " + h.job + " (plugin host " + h.id + ")";
    std::string why;
    auto state = jobs->find(h.job);
    if (state == jobs->end()) {
      why = job + " is no longer known to Slurm";
    } else if (!IsActive(state->second.state)) {
      why = job + " ended: " + state->second.state;
    } else if (state->second.state == "PENDING" && NeverStarts(state->second.reason)) {
      why = job + " will never start as asked (" + h.resources.ToString() + "): Slurm says " +
            state->second.reason;
      h.refused = true;
      SlurmClient::Cancel({h.job});
    } else if (state->second.state == "RUNNING" && !h.job_started) {
      h.job_started = true;
      h.last_heard = now;  // the start-up allowance counts from here
    }
    if (why.empty()) {
      ++it;
      continue;
    }
    dead.emplace_back(h, why);
    auto gone = it++;
    Forget(gone);
  }
}

void HostPool::Forget(std::map<std::string, Host>::iterator it) {
  if (!it->second.public_key.empty()) zap_->Revoke(it->second.public_key);
  hosts_.erase(it);
}

void HostPool::Kill(const std::string& id) {
  auto it = hosts_.find(id);
  if (it == hosts_.end()) return;
  if (it->second.local && it->second.pid > 0) {
    ::kill(it->second.pid, SIGKILL);
  } else {
    (void)Send(id, {"SHUTDOWN", json::object(), {}});
    if (!it->second.job.empty()) SlurmClient::Cancel({it->second.job});
    Forget(it);
  }
}

void HostPool::Retire(const std::string& id) {
  auto it = hosts_.find(id);
  if (it == hosts_.end()) return;
  it->second.retiring = true;
  (void)Send(id, {"SHUTDOWN", json::object(), {}});
}

std::vector<std::string> HostPool::ReleaseIdle() {
  std::vector<std::string> released;
  if (!options_.slurm) return released;
  const auto now = Clock::now();
  const auto idle_limit = std::chrono::duration<double>(options_.slurm->idle_s);
  for (auto& [id, h] : hosts_) {
    if (h.job.empty() || !h.ready || h.retiring || !h.task.empty()) {
      h.idle_since.reset();
      continue;
    }
    if (!h.idle_since) h.idle_since = now;
    if (now - *h.idle_since < idle_limit) continue;
    Retire(id);
    released.push_back("released plugin host " + id + " (Slurm job " + h.job + "), idle for " +
                       std::to_string(static_cast<int>(options_.slurm->idle_s)) + " s");
  }
  return released;
}

void HostPool::ShutdownAll() {
  std::vector<std::string> jobs;
  for (auto& [id, h] : hosts_) {
    if (h.ready) {
      (void)Send(id, {"SHUTDOWN", json::object(), {}});
    } else if (h.local && h.pid > 0) {
      ::kill(h.pid, SIGKILL);  // still starting: it holds nothing worth closing
    }
    if (!h.job.empty()) jobs.push_back(h.job);
  }
  // Give local hosts a moment to close their nodes, then make sure they are gone.
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  for (auto& [id, h] : hosts_) {
    if (!h.local || h.pid <= 0) continue;
    while (waitpid(h.pid, nullptr, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(h.pid, SIGKILL);
        waitpid(h.pid, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    h.pid = 0;
  }
  // Slurm jobs that are still queued or have not yet ended after their SHUTDOWN are
  // cancelled: nothing of the run may keep holding the cluster.
  if (!jobs.empty()) {
    const auto job_deadline = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < job_deadline) {
      StatusOr<std::map<std::string, SlurmJobState>> states = SlurmClient::Jobs(job_name_);
      if (!states.ok()) break;
      std::vector<std::string> active;
      for (const std::string& j : jobs) {
        auto s = states->find(j);
        if (s != states->end() && IsActive(s->second.state) && s->second.state != "PENDING")
          active.push_back(j);
      }
      if (active.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    SlurmClient::Cancel(jobs);
  }
  for (auto it = hosts_.begin(); it != hosts_.end();) Forget(it++);
}

}  // namespace securemark::runner
