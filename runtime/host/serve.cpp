#include "host/serve.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <zmq_addon.hpp>

#include "exec/local_context.h"
#include "loader/plugin_catalog.h"
#include "transport/curve.h"
#include "transport/messages.h"
#include "transport/sockets.h"

namespace securemark {
namespace {

using nlohmann::json;
using transport::Message;
using Clock = std::chrono::steady_clock;

struct Task {
  std::string id;
  const LoadedPlugin* plugin = nullptr;
  ParamMap params;
  InputValues inputs;
  std::optional<PartyInfo> party;
};

// Messages produced on the worker thread, sent by the socket's thread. The eventfd wakes
// that thread's poll at once, so a result never waits for a poll timeout.
class Outbox {
 public:
  Outbox() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Outbox() { close(wake_fd_); }
  void Push(Message m) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(m));
    }
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }
  std::deque<Message> Drain() {
    uint64_t count;
    (void)!read(wake_fd_, &count, sizeof count);
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(queue_, {});
  }
  int fd() const { return wake_fd_; }

 private:
  int wake_fd_;
  std::mutex mutex_;
  std::deque<Message> queue_;
};

// Runs tasks one at a time. Each plugin's node is created and opened on its first task,
// given every later task, and closed when the host shuts down.
class Worker {
 public:
  explicit Worker(Outbox& outbox) : outbox_(outbox), thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  bool Busy() const { return busy_; }
  void Submit(Task task) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = true;
    cancelled_ = false;
    current_ = task.id;
    next_ = std::move(task);
    wake_.notify_all();
  }
  void Cancel(const std::string& task) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (task == current_) cancelled_ = true;
  }

 private:
  struct OpenNode {
    std::unique_ptr<NodeInstance> node;
    ParamMap last_params;
  };

  void Loop() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || next_.has_value(); });
        if (!next_) break;
        task = std::move(*next_);
        next_.reset();
      }
      Message result = Run(task);
      // Idle before the result can reach the orchestrator: it may send the next task as
      // soon as it has this one's result.
      busy_ = false;
      outbox_.Push(std::move(result));
    }
    CloseAll();
  }

  Message Run(const Task& task) {
    ExecutionHooks hooks;
    hooks.cancelled = &cancelled_;
    hooks.progress = [&](double done, double total, std::string_view what) {
      auto now = Clock::now();
      if (now - last_progress_ < std::chrono::milliseconds(100) && done < total) return;
      last_progress_ = now;
      outbox_.Push(
          {"PROGRESS", {{"task", task.id}, {"done", done}, {"total", total}, {"what", what}}, {}});
    };
    hooks.log = [&](LogLevel level, std::string_view text) {
      outbox_.Push(
          {"LOG", {{"task", task.id}, {"level", static_cast<int>(level)}, {"message", text}}, {}});
    };
    if (task.party) {
      hooks.party = task.party;
      hooks.announce = [&](std::string_view endpoint) {
        outbox_.Push({"ANNOUNCE", {{"task", task.id}, {"endpoint", endpoint}}, {}});
        return OkStatus();
      };
    }
    Message result{"RESULT", {{"task", task.id}, {"outputs", json::array()}}, {}};
    Status status = Execute(task, hooks, result);
    result.header["code"] = static_cast<int>(status.code());
    result.header["error"] = status.message();
    if (!status.ok()) {
      result.header["outputs"] = json::array();
      result.payloads.clear();
    }
    return result;
  }

  Status Execute(const Task& task, ExecutionHooks hooks, Message& result) {
    const Contract& contract = task.plugin->contract();
    const ParamMap& params = task.params;  // resolved when the TASK was decoded
    SM_RETURN_IF_ERROR(CheckInputs(contract, task.inputs));
    OpenNode& open = nodes_[task.plugin->name()];
    LocalContext ctx(contract, params, task.inputs, std::move(hooks));
    if (!open.node) {
      SM_ASSIGN_OR_RETURN(open.node, task.plugin->Create());
      Status opened = open.node->Open(ctx);
      if (!opened.ok()) {
        open.node.reset();
        return opened;
      }
    }
    open.last_params = params;
    SM_RETURN_IF_ERROR(open.node->Process(ctx));
    SM_RETURN_IF_ERROR(ctx.CheckOutputsComplete());
    for (OutputValue& out : ctx.TakeOutputs()) {
      result.header["outputs"].push_back({{"port", out.port},
                                          {"index", out.index},
                                          {"type", out.value.type},
                                          {"secret", out.value.secret},
                                          {"labels", out.labels}});
      result.payloads.push_back(std::move(out.value.bytes));
    }
    return OkStatus();
  }

  void CloseAll() {
    for (auto& [name, open] : nodes_) {
      if (!open.node) continue;
      // Close gets a context without inputs, holding the parameters of the last execution.
      static const Contract empty;
      LocalContext ctx(empty, open.last_params, {}, {});
      Status closed = open.node->Close(ctx);
      if (!closed.ok())
        std::cerr << "securemark-host: closing " << name << ": " << closed.message() << "\n";
    }
  }

  Outbox& outbox_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Task> next_;
  std::string current_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> busy_{false};
  bool stopping_ = false;
  std::map<std::string, OpenNode> nodes_;
  Clock::time_point last_progress_;
  std::thread thread_;
};

StatusOr<Task> TaskFromMessage(const Message& m,
                               const std::map<std::string, const LoadedPlugin*>& plugins) {
  Task task;
  SM_ASSIGN_OR_RETURN(task.id, transport::StringField(m.header, "task"));
  SM_ASSIGN_OR_RETURN(std::string name, transport::StringField(m.header, "plugin"));
  auto it = plugins.find(name);
  if (it == plugins.end()) return NotFoundError("this host does not serve plugin '" + name + "'");
  task.plugin = it->second;
  const json& params = m.header.contains("params") ? m.header["params"] : json::object();
  SM_ASSIGN_OR_RETURN(task.params, task.plugin->contract().ParamsFromJson(params.dump()));
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    const json& in = m.header["inputs"][i];
    SM_ASSIGN_OR_RETURN(std::string port, transport::StringField(in, "port"));
    SM_ASSIGN_OR_RETURN(std::string type, transport::StringField(in, "type"));
    task.inputs[port].push_back({type, m.payloads[i], false});
  }
  if (m.header.contains("party")) {
    SM_ASSIGN_OR_RETURN(task.party, transport::PartyFromJson(m.header["party"]));
  }
  return task;
}

StatusOr<std::vector<LoadedPlugin>> LoadPlugins(const ServeOptions& o) {
  std::vector<LoadedPlugin> loaded;
  if (!o.library.empty()) {
    SM_ASSIGN_OR_RETURN(auto declared, DeclaredPlugins(o.library));
    for (const auto& d : declared) {
      SM_ASSIGN_OR_RETURN(LoadedPlugin p, LoadPlugin(d));
      loaded.push_back(std::move(p));
    }
    return loaded;
  }
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  SM_ASSIGN_OR_RETURN(const LoadedPlugin* p, catalog.Find(o.plugin));
  DeclaredPlugin declared{p->name(), p->library(), ""};
  SM_ASSIGN_OR_RETURN(auto in_library, DeclaredPlugins(p->library()));
  for (const auto& d : in_library) {
    SM_ASSIGN_OR_RETURN(LoadedPlugin lp, LoadPlugin(d));
    loaded.push_back(std::move(lp));
  }
  return loaded;
}

}  // namespace

Status Serve(const ServeOptions& o) {
  if (o.exit_with_parent) {
    // Dies with the orchestrator that started it, even if that one is SIGKILLed.
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      return UnavailableError("the orchestrator exited before this host started");
    // Ctrl-C reaches the whole process group; the orchestrator decides what stops.
    std::signal(SIGINT, SIG_IGN);
  }
  if (o.library.empty() == o.plugin.empty()) {
    return InvalidArgumentError("give exactly one of --library and --plugin");
  }
  SM_ASSIGN_OR_RETURN(std::vector<LoadedPlugin> loaded, LoadPlugins(o));
  std::map<std::string, const LoadedPlugin*> plugins;
  json names = json::array();
  for (const auto& p : loaded) {
    plugins[p.name()] = &p;
    names.push_back(p.name());
  }
  SM_ASSIGN_OR_RETURN(transport::KeyPair keys, transport::ReadKeyPair(o.key_file));
  SM_ASSIGN_OR_RETURN(std::string server_key, transport::ReadPublicKey(o.server_key));

  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  transport::ConfigureSocket(socket);
  socket.set(zmq::sockopt::routing_id, o.id.empty() ? "host-" + std::to_string(getpid()) : o.id);
  socket.set(zmq::sockopt::curve_serverkey, server_key);
  socket.set(zmq::sockopt::curve_publickey, keys.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
  socket.connect(o.endpoint);

  auto send = [&](const Message& m) { transport::SendFrames(socket, transport::EncodeMessage(m)); };
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  send({"HELLO",
        {{"protocol", transport::kProtocolVersion},
         {"pid", getpid()},
         {"host", hostname},
         {"library", loaded.empty() ? "" : loaded.front().library()},
         {"plugins", names}},
        {}});

  Outbox outbox;
  Worker worker(outbox);
  auto last_heard = Clock::now();
  auto last_sent = Clock::now();
  for (;;) {
    zmq::pollitem_t items[] = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0},
                               {nullptr, outbox.fd(), ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(std::min(o.heartbeat_ms, 250)));
    for (Message& m : outbox.Drain()) {
      send(m);
      last_sent = Clock::now();
    }
    if (Clock::now() - last_sent > std::chrono::milliseconds(o.heartbeat_ms)) {
      send({"HEARTBEAT", json::object(), {}});
      last_sent = Clock::now();
    }
    if (Clock::now() - last_heard > std::chrono::milliseconds(o.orchestrator_timeout_ms)) {
      return UnavailableError("no word from the orchestrator at " + o.endpoint + " for " +
                              std::to_string(o.orchestrator_timeout_ms) + " ms; exiting");
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    while (std::optional<std::vector<std::string>> frames = transport::ReceiveFrames(socket)) {
      last_heard = Clock::now();
      StatusOr<Message> m = transport::DecodeMessage(std::move(*frames));
      if (!m.ok()) {
        std::cerr << "securemark-host: ignoring a malformed message: " << m.status().message()
                  << "\n";
        continue;
      }
      if (m->kind == "SHUTDOWN") return OkStatus();
      if (m->kind == "CANCEL") {
        if (auto t = transport::StringField(m->header, "task"); t.ok()) worker.Cancel(*t);
        continue;
      }
      if (m->kind != "TASK") continue;  // HEARTBEAT, or nothing a host acts on
      StatusOr<Task> task = TaskFromMessage(*m, plugins);
      if (!task.ok() || worker.Busy()) {
        Status why = task.ok() ? UnavailableError("host is busy") : task.status();
        std::string id = m->header.value("task", "");
        send({"RESULT",
              {{"task", id},
               {"code", static_cast<int>(why.code())},
               {"error", why.message()},
               {"outputs", json::array()}},
              {}});
        continue;
      }
      worker.Submit(std::move(*task));
    }
  }
}

}  // namespace securemark
