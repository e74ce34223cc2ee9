// Party-to-party messaging for multi-party steps: a plugin that is one party of a step
// opens its channel from ctx.Party(). The listening party (the first of a step) binds a
// ROUTER; every other party connects a DEALER to the endpoint it announced.
// With CURVE on, only the keys the orchestrator handed out get in, and each message is
// attributed to the party whose key sent it, not to whatever name the peer claims.
// A message is [kind, JSON header, payload frames...]; each protocol lists its kinds, and
// anything else, oversized or malformed is dropped with the reason returned to the caller.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "securemark/context.h"
#include "securemark/message.h"
#include "securemark/status.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq
namespace securemark::transport {
class ZapHandler;
}

namespace securemark::party {

using Clock = std::chrono::steady_clock;

struct ChannelOptions {
  std::set<std::string> kinds;  // the protocol's message kinds; HEARTBEAT is always allowed
  int64_t max_message_bytes = int64_t{256} << 20;
  // A connecting party sends HEARTBEAT when it has sent nothing for this long.
  std::chrono::milliseconds heartbeat{1000};
};

struct Envelope {
  std::string peer;  // the sending party's name
  Message message;
};

class Listener {
 public:
  // Binds to party.bind (a "*" port picks a free one); endpoint() tells where.
  static StatusOr<std::unique_ptr<Listener>> Open(const PartyInfo& me, ChannelOptions options);
  ~Listener();

  const std::string& endpoint() const { return endpoint_; }
  // Waits up to `timeout` for a message other than HEARTBEAT. Dropped messages add a line
  // to `rejected` naming the peer and the reason.
  std::optional<Envelope> Receive(std::chrono::milliseconds timeout,
                                  std::vector<std::string>& rejected);
  Status Send(const std::string& peer, const Message& message);
  // When `peer` was last heard from (any message, heartbeats included).
  std::optional<Clock::time_point> LastHeard(const std::string& peer) const;

 private:
  Listener() = default;
  std::optional<Envelope> Accept(std::vector<std::string>& rejected);

  PartyInfo me_;
  ChannelOptions options_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<transport::ZapHandler> zap_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::string endpoint_;
  std::map<std::string, Clock::time_point> last_heard_;
};

class Connection {
 public:
  // Connects to party.connect, authenticating the listening party by its key.
  static StatusOr<std::unique_ptr<Connection>> Open(const PartyInfo& me, ChannelOptions options);
  ~Connection();

  // Waits up to `timeout` for a message other than HEARTBEAT, sending heartbeats meanwhile.
  std::optional<Message> Receive(std::chrono::milliseconds timeout,
                                 std::vector<std::string>& rejected);
  Status Send(const Message& message);
  Clock::time_point last_heard() const { return last_heard_; }

 private:
  Connection() = default;

  ChannelOptions options_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  Clock::time_point last_sent_;
  Clock::time_point last_heard_;
};

}  // namespace securemark::party
