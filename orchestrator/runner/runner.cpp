#include "runner/runner.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include "loader/plugin_catalog.h"
#include "runner/host_pool.h"
#include "runner/party_step.h"
#include "runner/run_files.h"
#include "runner/step_io.h"
#include "runner/task.h"
#include "store.h"

namespace securemark::runner {
namespace {

using nlohmann::json;
using pipeline::Instance;
using store::EventSpec;

class Runner {
 public:
  Runner(const pipeline::Plan& plan, const RunOptions& options, ProgressSink& progress,
         store::Store& store, HostPool& pool)
      : plan_(plan), options_(options), progress_(progress), store_(store), pool_(pool) {
    // Readiness is counted, not searched for: each dependency done decrements its
    // dependents' counters, so a run does O(1) work per edge whatever its size.
    for (const Instance& i : plan.instances) {
      Task& t = tasks_[i.key];
      t.instance = &i;
      t.order = by_order_.size();
      by_order_.push_back(&t);
    }
    for (Task* t : by_order_) {
      std::set<std::string> deps(t->instance->depends_on.begin(), t->instance->depends_on.end());
      t->unmet = deps.size();
      for (const std::string& dep : deps) tasks_.at(dep).dependents.push_back(t);
      if (t->unmet == 0) unprepared_.insert(t->order);
    }
    unfinished_ = by_order_.size();
  }

  StatusOr<RunSummary> Run() {
    const auto start = Clock::now();
    SM_RETURN_IF_ERROR(CheckStoredInputs(plan_, store_));
    SM_RETURN_IF_ERROR(CreateContexts());
    progress_.RunStarted(summary_.run, store_.dir(), plan_.instances.size());
    while (Unfinished()) {
      if (Interrupted()) break;
      SM_RETURN_IF_ERROR(Dispatch());
      std::vector<std::string> notes;
      for (Incoming& in : pool_.Poll(std::chrono::milliseconds(50), notes))
        SM_RETURN_IF_ERROR(Handle(in));
      for (const std::string& n : notes) progress_.Note(n);
      // A signal that arrived while polling: the hosts it reached are not failures.
      if (Interrupted()) break;
      for (auto& [host, why] : pool_.ReapDead()) {
        if (host.refused) SM_RETURN_IF_ERROR(LaunchRefused(host.launched_for, why));
        if (!host.retiring) SM_RETURN_IF_ERROR(HostDied(host, why));
      }
      for (const std::string& note : pool_.ReleaseIdle()) progress_.Note(note);
      SM_RETURN_IF_ERROR(EnforceTimeouts());
    }
    pool_.ShutdownAll();
    summary_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    progress_.RunFinished(summary_);
    return summary_;
  }

 private:
  Status CreateContexts() {
    SM_ASSIGN_OR_RETURN(int64_t pipeline,
                        store_.PutContext(store::ContextType::kPipeline, plan_.pipeline,
                                          {{"file", options_.pipeline_file}}));
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
    summary_.run = plan_.pipeline + "-" + stamp + "-" + store::NewUuid().substr(0, 8);
    SM_ASSIGN_OR_RETURN(
        run_context_,
        store_.PutContext(
            store::ContextType::kRun, summary_.run,
            {{"params", pipeline::RedactParams(plan_.params, plan_.secret_params).dump()}},
            pipeline));
    return OkStatus();
  }

  bool Unfinished() const { return unfinished_ > 0; }

  // Every change of a task's state goes through here, so the sets of ready and running
  // tasks and the count of unfinished ones stay exact.
  void SetState(Task& t, TaskState state) {
    const auto open = [](TaskState s) {
      return s == TaskState::kWaiting || s == TaskState::kRunning;
    };
    if (open(t.state) && !open(state)) --unfinished_;
    if (t.state == TaskState::kRunning) running_.erase(&t);
    if (state == TaskState::kRunning) running_.insert(&t);
    if (t.state == TaskState::kWaiting) startable_.erase(t.order);
    // A retried attempt is ready again at once: its inputs are resolved already.
    if (state == TaskState::kWaiting && t.prepared) startable_.insert(t.order);
    t.state = state;
    if (state != TaskState::kDone) return;
    for (Task* d : t.dependents)
      if (--d->unmet == 0 && d->state == TaskState::kWaiting) unprepared_.insert(d->order);
  }

  // Running tasks in plan order (a copy: settling one changes the set).
  std::vector<Task*> RunningTasks() const {
    std::vector<Task*> out(running_.begin(), running_.end());
    std::sort(out.begin(), out.end(), [](Task* a, Task* b) { return a->order < b->order; });
    return out;
  }

  Status ResolveInputs(Task& t) {
    SM_ASSIGN_OR_RETURN(
        ResolvedInputs resolved,
        runner::ResolveInputs(*t.instance, [&](const std::string& key) -> const ProducedOutputs& {
          return tasks_.at(key).outputs;
        }));
    t.inputs = std::move(resolved.events);
    t.input_types = std::move(resolved.types);
    return OkStatus();
  }

  store::NewExecution NewExecutionFor(const Task& t) const {
    return NewExecution(*t.instance, t.fingerprint, run_context_, t.attempts);
  }

  StatusOr<bool> TryCache(Task& t) {
    SM_ASSIGN_OR_RETURN(std::optional<CachedExecution> cached,
                        FindUsableCache(store_, t.fingerprint));
    if (!cached) return false;
    ++t.attempts;
    SM_ASSIGN_OR_RETURN(t.execution,
                        store_.RecordCachedExecution(NewExecutionFor(t), cached->id, t.inputs));
    t.outputs = std::move(cached->outputs);
    SetState(t, TaskState::kDone);
    ++summary_.cached;
    progress_.StepFinished(t.instance->key, "CACHED", 0, "same as e" + std::to_string(cached->id));
    return true;
  }

  // Prepares ready tasks once (inputs, fingerprint, cache) and starts as many as the job
  // limit and the hosts allow. Only ready and running tasks are looked at.
  Status Dispatch() {
    for (Task* t : RunningTasks()) {
      if (!t->party) continue;
      SM_RETURN_IF_ERROR(t->party->Advance(pool_, progress_));
      SM_RETURN_IF_ERROR(CheckParty(*t));
    }
    while (!unprepared_.empty()) {  // cached tasks complete here and ready their dependents
      Task& t = *by_order_[*unprepared_.begin()];
      unprepared_.erase(unprepared_.begin());
      SM_RETURN_IF_ERROR(Prepare(t));
      if (t.state == TaskState::kWaiting) startable_.insert(t.order);
    }
    HostPool::Claims claimed;  // starting hosts already promised to ready tasks
    const size_t jobs = static_cast<size_t>(options_.jobs);
    // At most `jobs - running` tasks can start now; looking at more than that many
    // would only make room for tasks that have to wait anyway.
    size_t looked_at = 0;
    for (auto it = startable_.begin();
         it != startable_.end() && running_.size() < jobs && looked_at < jobs - running_.size();) {
      Task& t = *by_order_[*it++];
      if (!t.instance->parties.empty()) {
        SM_RETURN_IF_ERROR(StartParties(t));
        continue;
      }
      Host* host = pool_.FindIdle(t.instance->plugin->name(), ResourcesOf(t.instance->runtime));
      if (host == nullptr) {
        ++looked_at;
        SM_RETURN_IF_ERROR(MakeRoomFor(t, claimed));
        continue;
      }
      SM_RETURN_IF_ERROR(Start(t, *host));
    }
    return OkStatus();
  }

  Status Prepare(Task& t) {
    t.prepared = true;
    if (Status resolved = ResolveInputs(t); !resolved.ok())
      return FailPermanently(t, resolved.message());
    SM_ASSIGN_OR_RETURN(t.fingerprint, ExecutionFingerprint(store_, *t.instance, t.inputs));
    if (!options_.force) SM_RETURN_IF_ERROR(TryCache(t).status());
    return OkStatus();
  }

  bool MayLaunchHosts() const { return options_.local_hosts || options_.slurm.has_value(); }

  // Sees that a host will come for ready task `t` (HostPool::Provide); a host Slurm
  // refuses to start fails the task.
  Status MakeRoomFor(Task& t, HostPool::Claims& claimed) {
    const size_t limit =
        static_cast<size_t>(options_.slurm ? options_.slurm->max_hosts : options_.jobs);
    StatusOr<std::string> launched =
        pool_.Provide(t.instance->plugin->library(), ResourcesOf(t.instance->runtime),
                      t.instance->key, MayLaunchHosts() ? limit : 0, claimed);
    if (!launched.ok()) return FailPermanently(t, std::string(launched.status().message()));
    if (launched->empty()) return OkStatus();
    const Host& host = pool_.hosts().at(*launched);
    progress_.Note("started plugin host " + host.id + " for " +
                   std::filesystem::path(host.library).filename().string() +
                   (host.job.empty() ? "" : " as Slurm job " + host.job));
    return OkStatus();
  }

  // Slurm will never start the host launched for `step` as it asked: the step fails,
  // naming what was asked and why, instead of waiting for ever.
  Status LaunchRefused(const std::string& step, const std::string& why) {
    auto it = tasks_.find(step);
    if (it == tasks_.end() || it->second.state != TaskState::kWaiting) return OkStatus();
    return FailPermanently(it->second, "Slurm refused the host job for step " + step + ": " + why);
  }

  StatusOr<transport::Message> TaskMessage(const Task& t, const std::string& role = "") {
    return runner::TaskMessage(store_, *t.instance, t.execution, {t.inputs, t.input_types}, role);
  }

  std::string StateDir(const Task& t) const { return store_.dir() + "/state/" + t.fingerprint; }

  Status StartParties(Task& t) {
    ++t.attempts;
    SM_ASSIGN_OR_RETURN(t.execution, store_.BeginExecution(NewExecutionFor(t)));
    PartyStep::InputsByRole inputs;
    for (const pipeline::PartyInstance& party : t.instance->parties) {
      if (inputs.count(party.role)) continue;
      SM_ASSIGN_OR_RETURN(inputs[party.role], TaskMessage(t, party.role));
    }
    PartyStepOptions options;
    options.local_hosts = MayLaunchHosts();
    options.state_dir = StateDir(t);
    t.party = std::make_unique<PartyStep>(*t.instance, t.execution, std::move(inputs), options);
    for (const std::string& id : t.party->TaskIds()) by_execution_[id] = t.instance->key;
    SetState(t, TaskState::kRunning);
    t.started = Clock::now();
    progress_.StepStarted(t.instance->key, std::to_string(t.instance->parties.size()) + " parties",
                          t.attempts);
    return t.party->Advance(pool_, progress_);
  }

  // Acts on a settled multi-party attempt.
  Status CheckParty(Task& t) {
    if (!t.party || t.party->outcome() == PartyStep::Outcome::kRunning) return OkStatus();
    if (t.party->outcome() == PartyStep::Outcome::kFailed) {
      const std::string error = t.party->error();  // AttemptFailed releases the party step
      return AttemptFailed(t, error);
    }
    std::vector<PartyResult> results;
    for (auto& [party, message] : t.party->TakeResults()) {
      // The listener's outputs are the step's; the others' are kept under their names.
      const bool listener = party == &t.instance->parties.front();
      results.push_back(
          {&party->plugin->contract(), listener ? "" : party->name + "/", std::move(message)});
    }
    ReleaseParties(t);
    SM_RETURN_IF_ERROR(Complete(t, results));
    std::error_code ec;
    std::filesystem::remove_all(StateDir(t), ec);  // checkpoints of a finished step
    return OkStatus();
  }

  void ReleaseParties(Task& t) {
    if (!t.party) return;
    // Which jobs ran the parties, for matching the attempt with Slurm's own records.
    if (const std::string jobs = t.party->SlurmJobs(); !jobs.empty())
      (void)store_.AnnotateExecution(t.execution, {{"slurm_jobs", jobs}});
    t.party->Release(pool_);
    for (const std::string& id : t.party->TaskIds()) by_execution_.erase(id);
    t.party.reset();
  }

  Status Start(Task& t, Host& host) {
    ++t.attempts;
    store::NewExecution execution = NewExecutionFor(t);
    execution.properties["host"] = host.id;
    if (!host.job.empty()) execution.properties["slurm_job"] = host.job;
    SM_ASSIGN_OR_RETURN(t.execution, store_.BeginExecution(execution));
    SM_ASSIGN_OR_RETURN(transport::Message task, TaskMessage(t));
    Status sent = pool_.Send(host.id, task);
    SetState(t, TaskState::kRunning);
    t.host = host.id;
    t.started = Clock::now();
    host.task = std::to_string(t.execution);
    by_execution_[host.task] = t.instance->key;
    progress_.StepStarted(t.instance->key, host.id, t.attempts);
    if (!sent.ok()) return AttemptFailed(t, sent.message());
    return OkStatus();
  }

  Status Handle(Incoming& in) {
    const std::string task_id = in.message.header.value("task", "");
    auto it = by_execution_.find(task_id);
    if (it == by_execution_.end()) return OkStatus();  // a late answer for a task already settled
    Task& t = tasks_[it->second];
    if (t.state == TaskState::kRunning && t.party) {
      t.party->Handle(in, pool_, progress_);
      return CheckParty(t);
    }
    if (t.state != TaskState::kRunning || t.host != in.host) return OkStatus();
    const std::string& kind = in.message.kind;
    if (kind == "PROGRESS") {
      progress_.StepProgress(t.instance->key, in.message.header.value("done", 0.0),
                             in.message.header.value("total", 0.0),
                             in.message.header.value("what", ""));
      return OkStatus();
    }
    if (kind == "LOG") {
      progress_.StepLog(t.instance->key, in.message.header.value("level", 1),
                        in.message.header.value("message", ""));
      return OkStatus();
    }
    if (kind != "RESULT") return OkStatus();
    by_execution_.erase(it);
    if (auto h = pool_.hosts().find(in.host); h != pool_.hosts().end()) h->second.task.clear();
    const int code = in.message.header.value("code", static_cast<int>(StatusCode::kInternal));
    if (code != 0) return AttemptFailed(t, in.message.header.value("error", "plugin failed"));
    std::vector<PartyResult> results = {
        {&t.instance->plugin->contract(), "", std::move(in.message)}};
    return Complete(t, results);
  }

  // The RESULT of one plugin execution; outputs are recorded under `prefix` + port.
  struct PartyResult {
    const Contract* contract;
    std::string prefix;
    transport::Message message;
  };

  Status Complete(Task& t, std::vector<PartyResult>& results) {
    std::vector<EventSpec> outputs;
    std::map<std::string, std::vector<int64_t>> produced;
    for (PartyResult& r : results) {
      SM_RETURN_IF_ERROR(StageOutputs(t, r, outputs, produced));
      if (t.state != TaskState::kRunning) return OkStatus();  // the attempt failed
    }
    SM_RETURN_IF_ERROR(store_.CompleteExecution(t.execution, t.inputs, outputs));
    for (const EventSpec& o : outputs)
      SM_RETURN_IF_ERROR(store_.Attribute(run_context_, o.artifact_id));
    t.outputs.clear();
    for (auto& [port, ids] : produced) t.outputs[port] = ids;
    SetState(t, TaskState::kDone);
    ++summary_.completed;
    progress_.StepFinished(t.instance->key, "COMPLETE", Elapsed(t),
                           "e" + std::to_string(t.execution));
    return OkStatus();
  }

  Status StageOutputs(Task& t, PartyResult& r, std::vector<EventSpec>& outputs,
                      std::map<std::string, std::vector<int64_t>>& produced) {
    StatusOr<std::vector<ReturnedOutput>> returned = ReadReturnedOutputs(*r.contract, r.message);
    if (!returned.ok()) return AttemptFailed(t, std::string(returned.status().message()));
    return StageReturnedOutputs(store_, t.execution, t.instance->key, r.prefix, *returned,
                                r.message, outputs, produced);
  }

  double Elapsed(const Task& t) const {
    return std::chrono::duration<double>(Clock::now() - t.started).count();
  }

  Status AttemptFailed(Task& t, const std::string& error,
                       store::ExecutionState state = store::ExecutionState::kFailed,
                       bool host_lost = false) {
    SM_RETURN_IF_ERROR(store_.FailExecution(t.execution, error, t.inputs, state));
    by_execution_.erase(std::to_string(t.execution));
    ReleaseParties(t);
    // A host that died under the step (killed, preempted, its node lost) is not the
    // step's failure: such attempts are retried without using up its `retries`, a few
    // times, so that a step that kills its own host still ends.
    if (host_lost && t.host_losses < kHostLossRetries && state == store::ExecutionState::kFailed) {
      ++t.host_losses;
      SetState(t, TaskState::kWaiting);
      progress_.StepFinished(t.instance->key, "RETRY", Elapsed(t), error);
      return OkStatus();
    }
    if (t.attempts - t.host_losses <= t.instance->runtime.retries &&
        state == store::ExecutionState::kFailed) {
      SetState(t, TaskState::kWaiting);
      progress_.StepFinished(t.instance->key, "RETRY", Elapsed(t), error);
      return OkStatus();
    }
    return FailPermanently(t, error);
  }

  Status FailPermanently(Task& t, const std::string& error) {
    SetState(t, TaskState::kFailed);
    t.error = error;
    ++summary_.failed;
    summary_.failures.push_back(t.instance->key + ": " + error);
    progress_.StepFinished(t.instance->key, "FAILED", t.attempts ? Elapsed(t) : 0, error);
    SkipDependents(t.instance->key);
    return OkStatus();
  }

  // Everything downstream of a failed task, once each (breadth first over dependents).
  void SkipDependents(const std::string& failed) {
    std::vector<std::pair<Task*, const std::string*>> frontier;
    for (Task* d : tasks_.at(failed).dependents) frontier.push_back({d, &failed});
    while (!frontier.empty()) {
      auto [t, needs] = frontier.back();
      frontier.pop_back();
      if (t->state != TaskState::kWaiting) continue;
      unprepared_.erase(t->order);
      SetState(*t, TaskState::kSkipped);
      ++summary_.skipped;
      progress_.StepFinished(t->instance->key, "SKIPPED", 0, "needs " + *needs);
      for (Task* d : t->dependents) frontier.push_back({d, &t->instance->key});
    }
  }

  Status HostDied(const Host& host, const std::string& why) {
    progress_.Note(why);
    for (Task* running : RunningTasks()) {
      Task& t = *running;
      if (t.state != TaskState::kRunning) continue;
      if (t.party && t.party->UsesHost(host.id)) {
        t.party->HostDied(host.id, why, progress_);
        SM_RETURN_IF_ERROR(CheckParty(t));
      } else if (!t.party && t.host == host.id) {
        SM_RETURN_IF_ERROR(AttemptFailed(t, why, store::ExecutionState::kFailed, true));
      }
    }
    return OkStatus();
  }

  Status EnforceTimeouts() {
    for (Task* running : RunningTasks()) {
      Task& t = *running;
      if (t.state != TaskState::kRunning || !t.instance->runtime.timeout_s) continue;
      if (Elapsed(t) < *t.instance->runtime.timeout_s) continue;
      if (!t.party) {
        const std::string host = t.host;
        // The plugin may be stuck in code that never checks for cancellation: the host goes.
        (void)pool_.Send(host, {"CANCEL", {{"task", std::to_string(t.execution)}}, {}});
        pool_.Kill(host);
      }
      char why[96];
      std::snprintf(why, sizeof why, "timed out after %.1f s", *t.instance->runtime.timeout_s);
      SM_RETURN_IF_ERROR(AttemptFailed(t, why));
    }
    return OkStatus();
  }

  bool Interrupted() {
    const int signal = options_.interrupted ? options_.interrupted->load() : 0;
    if (signal == 0) return false;
    const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal";
    progress_.Note(std::string("interrupted by ") + name + ": stopping the hosts");
    CancelAll(std::string("cancelled: the run was interrupted by ") + name);
    return true;
  }

  void CancelAll(const std::string& why) {
    for (auto& [key, t] : tasks_) {
      if (t.state == TaskState::kRunning) {
        ReleaseParties(t);
        (void)store_.FailExecution(t.execution, why, t.inputs, store::ExecutionState::kCanceled);
        SetState(t, TaskState::kFailed);
        ++summary_.failed;
        summary_.failures.push_back(key + ": " + why);
      } else if (t.state == TaskState::kWaiting) {
        SetState(t, TaskState::kSkipped);
        ++summary_.skipped;
      }
    }
  }

  const pipeline::Plan& plan_;
  const RunOptions& options_;
  ProgressSink& progress_;
  store::Store& store_;
  HostPool& pool_;
  std::map<std::string, Task> tasks_;
  std::vector<Task*> by_order_;  // plan order
  std::set<size_t> unprepared_;  // ready, inputs not yet resolved
  std::set<size_t> startable_;   // ready and prepared, not running
  std::set<Task*> running_;
  size_t unfinished_ = 0;                            // waiting or running
  std::map<std::string, std::string> by_execution_;  // task id -> instance key
  int64_t run_context_ = 0;
  RunSummary summary_;
};

}  // namespace

StatusOr<RunSummary> RunPlan(const pipeline::Plan& plan, const RunOptions& options,
                             ProgressSink& progress) {
  SM_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::Store::Open(options.store_dir));
  SM_ASSIGN_OR_RETURN(int64_t recovered, store->RecoverInterrupted());
  if (recovered > 0)
    progress.Note("marked " + std::to_string(recovered) + " interrupted executions FAILED");
  HostPoolOptions pool_options;
  pool_options.listen = options.listen;
  pool_options.server_key_file = options.server_key_file;
  pool_options.allowed_keys = options.allowed_keys;
  pool_options.slurm = options.slurm;
  pool_options.heartbeat_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options.heartbeat_timeout_s * 1000));
  SM_ASSIGN_OR_RETURN(std::string work, CreateRunDirectory());
  pool_options.work_dir = work;
  StatusOr<RunSummary> summary = [&]() -> StatusOr<RunSummary> {
    SM_ASSIGN_OR_RETURN(std::unique_ptr<HostPool> pool, HostPool::Create(pool_options));
    if (options.slurm)
      progress.Note("Slurm host jobs connect to " + pool->connect_endpoint());
    else if (options.listen != "tcp://127.0.0.1:0")
      progress.Note("hosts may join at " + pool->endpoint());
    return Runner(plan, options, progress, *store, *pool).Run();
  }();
  RemoveRunDirectory(work);
  return summary;
}

}  // namespace securemark::runner
