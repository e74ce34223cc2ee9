#include "runner/party_step.h"

#include "loader/plugin_catalog.h"

namespace securemark::runner {

using nlohmann::json;

PartyStep::PartyStep(const pipeline::Instance& instance, int64_t execution, InputsByRole inputs,
                     PartyStepOptions options)
    : instance_(instance),
      execution_(execution),
      inputs_(std::move(inputs)),
      options_(std::move(options)) {
  for (const pipeline::PartyInstance& spec : instance.parties) {
    Party p;
    p.spec = &spec;
    transport::KeyPair keys = transport::NewKeyPair();
    p.info.name = spec.name;
    p.info.role = spec.role;
    p.info.index = spec.index;
    p.info.count = spec.count;
    p.info.curve = instance.runtime.encrypt;
    p.info.public_key = keys.public_key;
    p.info.secret_key = keys.secret_key;
    p.info.state_dir = options_.state_dir + "/" + spec.name;
    parties_.push_back(std::move(p));
  }
  // The listener admits exactly the others' keys; each of the others trusts only its key.
  for (size_t i = 1; i < parties_.size(); ++i) {
    parties_[0].info.peers[parties_[i].info.name] = parties_[i].info.public_key;
    parties_[i].info.peers[parties_[0].info.name] = parties_[0].info.public_key;
  }
}

std::string PartyStep::TaskId(const Party& p) const {
  return std::to_string(execution_) + "/" + p.info.name;
}

std::vector<std::string> PartyStep::TaskIds() const {
  std::vector<std::string> ids;
  for (const Party& p : parties_) ids.push_back(TaskId(p));
  return ids;
}

PartyStep::Party* PartyStep::FindByTask(const std::string& task) {
  for (Party& p : parties_) {
    if (TaskId(p) == task) return &p;
  }
  return nullptr;
}

std::string PartyStep::SlurmJobs() const {
  std::string out;
  for (const Party& p : parties_) {
    if (p.jobs.empty()) continue;
    out += (out.empty() ? "" : " ") + p.info.name + "=";
    for (size_t i = 0; i < p.jobs.size(); ++i) out += (i ? "," : "") + p.jobs[i];
  }
  return out;
}

bool PartyStep::UsesHost(const std::string& host) const {
  for (const Party& p : parties_) {
    if (p.host == host) return true;
  }
  return false;
}

Status PartyStep::Advance(HostPool& pool, ProgressSink& progress) {
  if (outcome_ != Outcome::kRunning) return OkStatus();
  for (size_t i = 0; i < parties_.size(); ++i) {
    Party& p = parties_[i];
    if (p.finished || p.given_up || p.sent) continue;
    if (i > 0 && endpoint_.empty()) break;  // the others wait for the listener's endpoint
    if (p.host.empty()) SM_RETURN_IF_ERROR(Claim(p, pool, progress));
    if (outcome_ != Outcome::kRunning) return OkStatus();
    if (p.host.empty()) continue;
    auto h = pool.hosts().find(p.host);
    if (h != pool.hosts().end() && h->second.ready) SM_RETURN_IF_ERROR(Send(p, pool, progress));
  }
  if (parties_[0].finished) {
    bool waiting = false;
    for (Party& p : parties_) waiting |= !p.finished && !p.given_up;
    if (waiting && Clock::now() - listener_done_ > options_.grace) {
      for (Party& p : parties_) {
        if (p.finished || p.given_up) continue;
        p.given_up = true;
        progress.StepLog(instance_.key, 2,
                         p.info.name + " did not finish within " +
                             std::to_string(options_.grace.count()) + " s of " +
                             parties_[0].info.name + "; its outputs are not recorded");
      }
    }
  }
  Settle();
  return OkStatus();
}

Status PartyStep::Claim(Party& p, HostPool& pool, ProgressSink& progress) {
  const HostResources need = ResourcesOf(instance_.runtime);
  if (Host* idle = pool.FindIdle(p.spec->plugin->name(), need)) {
    idle->task = TaskId(p);
    p.host = idle->id;
    if (!idle->job.empty()) p.jobs.push_back(idle->job);
    return OkStatus();
  }
  if (!options_.local_hosts) return OkStatus();  // a remote host has to join
  StatusOr<std::string> id = pool.Launch(p.spec->plugin->library(), need, instance_.key);
  if (!id.ok()) {
    // Slurm refused it: no host of this kind can be had, so the attempt cannot succeed.
    error_ = "party " + p.info.name + ": " + std::string(id.status().message());
    outcome_ = Outcome::kFailed;
    return OkStatus();
  }
  Host& host = pool.hosts()[*id];
  host.task = TaskId(p);
  p.host = *id;
  if (!host.job.empty()) p.jobs.push_back(host.job);
  progress.Note("started plugin host " + *id + " for party " + p.info.name + " of " +
                instance_.key + (host.job.empty() ? "" : " as Slurm job " + host.job));
  return OkStatus();
}

Status PartyStep::Send(Party& p, HostPool& pool, ProgressSink& progress) {
  const Host& host = pool.hosts().at(p.host);
  const bool listener = &p == &parties_[0];
  transport::Message task{"TASK",
                          {{"task", TaskId(p)},
                           {"plugin", p.spec->plugin->name()},
                           {"params", json::parse(p.spec->params_json)},
                           {"inputs", json::array()}},
                          {}};
  if (listener) {
    std::string address = host.address.empty() ? "127.0.0.1" : host.address;
    if (address.find(':') != std::string::npos) address = "[" + address + "]";
    p.info.bind = "tcp://" + address + ":*";
  } else {
    p.info.connect = endpoint_;
  }
  if (auto inputs = inputs_.find(p.info.role); inputs != inputs_.end()) {
    task.header["inputs"] = inputs->second.header["inputs"];
    task.payloads = inputs->second.payloads;
  }
  task.header["party"] = transport::PartyToJson(p.info);
  ++p.starts;
  p.sent = true;
  if (p.starts > 1) progress.StepLog(instance_.key, 1, p.info.name + " rejoins on " + p.host);
  return pool.Send(p.host, task);
}

void PartyStep::Handle(const Incoming& in, HostPool& pool, ProgressSink& progress) {
  Party* p = FindByTask(in.message.header.value("task", ""));
  if (p == nullptr || p->host != in.host || outcome_ != Outcome::kRunning) return;
  const transport::Message& m = in.message;
  const bool listener = p == &parties_[0];
  if (m.kind == "ANNOUNCE" && listener) {
    endpoint_ = m.header.value("endpoint", "");
    const Host& host = pool.hosts().at(p->host);
    // A wildcard bind is reached through the address the host was seen at.
    if (auto at = endpoint_.find("0.0.0.0"); at != std::string::npos)
      endpoint_.replace(at, 7, host.address.empty() ? "127.0.0.1" : host.address);
    progress.StepLog(instance_.key, 1, p->info.name + " listens at " + endpoint_);
  } else if (m.kind == "PROGRESS" && listener) {
    progress.StepProgress(instance_.key, m.header.value("done", 0.0), m.header.value("total", 0.0),
                          m.header.value("what", ""));
  } else if (m.kind == "LOG") {
    progress.StepLog(instance_.key, m.header.value("level", 1),
                     "[" + p->info.name + "] " + m.header.value("message", ""));
  } else if (m.kind == "RESULT") {
    auto h = pool.hosts().find(p->host);
    if (h != pool.hosts().end()) {
      h->second.task.clear();
      // Party hosts come on top of --jobs; local ones go once their party is done.
      if (h->second.local) pool.Retire(p->host);
    }
    p->host.clear();
    if (m.header.value("code", 1) == 0) {
      p->finished = true;
      p->result = m;
      if (listener) listener_done_ = Clock::now();
    } else if (listener) {
      outcome_ = Outcome::kFailed;
      error_ = p->info.name + ": " + m.header.value("error", "failed");
    } else {
      PartyLost(*p, m.header.value("error", "failed"), progress);
    }
  }
  Settle();
}

void PartyStep::HostDied(const std::string& host, const std::string& why, ProgressSink& progress) {
  for (size_t i = 0; i < parties_.size(); ++i) {
    Party& p = parties_[i];
    if (p.host != host) continue;
    p.host.clear();
    if (i == 0) {
      outcome_ = Outcome::kFailed;
      error_ = p.info.name + ": " + why;
    } else {
      PartyLost(p, why, progress);
    }
  }
  Settle();
}

void PartyStep::PartyLost(Party& p, const std::string& why, ProgressSink& progress) {
  p.sent = false;
  if (parties_[0].finished || p.starts > options_.restarts_per_party) {
    p.given_up = true;
    progress.StepLog(instance_.key, 2, p.info.name + " is gone (" + why + ")");
    return;
  }
  progress.StepLog(instance_.key, 2, p.info.name + " is gone (" + why + "); starting it again");
}

void PartyStep::Settle() {
  if (outcome_ != Outcome::kRunning || !parties_[0].finished) return;
  for (const Party& p : parties_) {
    if (!p.finished && !p.given_up) return;
  }
  outcome_ = Outcome::kSucceeded;
}

void PartyStep::Release(HostPool& pool) {
  for (Party& p : parties_) {
    if (p.host.empty()) continue;
    auto h = pool.hosts().find(p.host);
    if (h != pool.hosts().end()) {
      if (h->second.local) {
        pool.Kill(p.host);
      } else {
        (void)pool.Send(p.host, {"CANCEL", {{"task", TaskId(p)}}, {}});
        h->second.task.clear();
      }
    }
    p.host.clear();
  }
}

std::vector<std::pair<const pipeline::PartyInstance*, transport::Message>>
PartyStep::TakeResults() {
  std::vector<std::pair<const pipeline::PartyInstance*, transport::Message>> results;
  for (Party& p : parties_) {
    if (p.finished) results.emplace_back(p.spec, std::move(p.result));
  }
  return results;
}

}  // namespace securemark::runner
