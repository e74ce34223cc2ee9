#include "securemark/party.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "transport/curve.h"
#include "transport/messages.h"
#include "transport/sockets.h"

namespace securemark::party {
namespace {

using transport::Message;

std::set<std::string> WithHeartbeat(std::set<std::string> kinds) {
  kinds.insert("HEARTBEAT");
  return kinds;
}

// Sends without blocking forever: a peer that stopped reading must not stall the sender.
Status SendMessage(zmq::socket_t& socket, std::vector<std::string> frames, const std::string& to) {
  std::vector<zmq::const_buffer> buffers;
  for (const std::string& f : frames) buffers.push_back(zmq::buffer(f));
  try {
    if (!zmq::send_multipart(socket, buffers, zmq::send_flags::dontwait))
      return UnavailableError("cannot send to " + to + ": its queue is full");
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot send to " + to + ": " + e.what());
  }
  return OkStatus();
}

StatusOr<Message> Decode(std::vector<zmq::message_t>& parts, size_t first,
                         const ChannelOptions& options) {
  int64_t total = 0;
  std::vector<std::string> frames;
  for (size_t i = first; i < parts.size(); ++i) {
    total += static_cast<int64_t>(parts[i].size());
    if (total > options.max_message_bytes)
      return ResourceExhaustedError("message exceeds " + std::to_string(options.max_message_bytes) +
                                    " bytes");
    frames.push_back(parts[i].to_string());
  }
  return transport::DecodeFrames(std::move(frames), options.kinds);
}

void Configure(zmq::socket_t& socket, const ChannelOptions& options) {
  transport::ConfigureSocket(socket);
  socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
  // Let the TCP layer notice a dead peer even while the application computes.
  socket.set(zmq::sockopt::heartbeat_ivl, 1000);
  socket.set(zmq::sockopt::heartbeat_timeout, 5000);
}

}  // namespace

Listener::~Listener() = default;

StatusOr<std::unique_ptr<Listener>> Listener::Open(const PartyInfo& me, ChannelOptions options) {
  std::unique_ptr<Listener> l(new Listener());
  l->me_ = me;
  l->options_ = std::move(options);
  l->options_.kinds = WithHeartbeat(l->options_.kinds);
  l->context_ = std::make_unique<zmq::context_t>(1);
  if (me.curve) {
    // The ZAP handler must be bound before the socket that consults it.
    l->zap_ = std::make_unique<transport::ZapHandler>(*l->context_);
    for (const auto& [name, key] : me.peers) l->zap_->Allow(key, name);
  }
  l->socket_ = std::make_unique<zmq::socket_t>(*l->context_, zmq::socket_type::router);
  Configure(*l->socket_, l->options_);
  l->socket_->set(zmq::sockopt::router_mandatory, 1);
  // A party that reconnects after a crash takes its name back from the stale connection.
  l->socket_->set(zmq::sockopt::router_handover, 1);
  if (me.curve) {
    l->socket_->set(zmq::sockopt::curve_server, 1);
    l->socket_->set(zmq::sockopt::curve_secretkey, me.secret_key);
  }
  const std::string bind = me.bind.empty() ? "tcp://127.0.0.1:*" : me.bind;
  try {
    l->socket_->bind(bind);
  } catch (const zmq::error_t& e) {
    return UnavailableError("party " + me.name + " cannot listen on " + bind + ": " + e.what());
  }
  l->endpoint_ = l->socket_->get(zmq::sockopt::last_endpoint);
  return l;
}

std::optional<Envelope> Listener::Receive(std::chrono::milliseconds timeout,
                                          std::vector<std::string>& rejected) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (std::optional<Envelope> e = Accept(rejected)) return e;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::vector<zmq::pollitem_t> items = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0}};
    if (zap_) items.push_back({static_cast<void*>(zap_->socket()), 0, ZMQ_POLLIN, 0});
    zmq::poll(items.data(), items.size(), left);
    if (zap_ && (items[1].revents & ZMQ_POLLIN)) {
      const std::string refused = zap_->HandleRequest();
      if (!refused.empty()) rejected.push_back("refused a connection with unlisted key " + refused);
    }
  }
}

std::optional<Envelope> Listener::Accept(std::vector<std::string>& rejected) {
  for (;;) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(parts), zmq::recv_flags::dontwait))
      return std::nullopt;
    const std::string claimed = parts.front().to_string();
    std::string peer = claimed;
    if (me_.curve && parts.size() > 1) {
      // The name the key was registered under, not the routing id the peer chose.
      peer = parts[1].gets("User-Id");
      if (peer != claimed) {
        rejected.push_back("party " + peer + " used the name '" + claimed.substr(0, 64) +
                           "'; message dropped");
        continue;
      }
    } else if (!me_.peers.count(peer)) {
      rejected.push_back("message from unknown party '" + claimed.substr(0, 64) + "' dropped");
      continue;
    }
    StatusOr<Message> m = Decode(parts, 1, options_);
    if (!m.ok()) {
      rejected.push_back("malformed message from " + peer + ": " + m.status().message());
      continue;
    }
    last_heard_[peer] = Clock::now();
    if (m->kind == "HEARTBEAT") continue;
    return Envelope{peer, std::move(*m)};
  }
}

Status Listener::Send(const std::string& peer, const Message& message) {
  std::vector<std::string> frames = transport::EncodeMessage(message);
  frames.insert(frames.begin(), peer);
  return SendMessage(*socket_, std::move(frames), peer);
}

std::optional<Clock::time_point> Listener::LastHeard(const std::string& peer) const {
  auto it = last_heard_.find(peer);
  if (it == last_heard_.end()) return std::nullopt;
  return it->second;
}

Connection::~Connection() = default;

StatusOr<std::unique_ptr<Connection>> Connection::Open(const PartyInfo& me,
                                                       ChannelOptions options) {
  if (me.connect.empty())
    return FailedPreconditionError("party " + me.name + " was given no endpoint to connect to");
  std::unique_ptr<Connection> c(new Connection());
  c->options_ = std::move(options);
  c->options_.kinds = WithHeartbeat(c->options_.kinds);
  c->context_ = std::make_unique<zmq::context_t>(1);
  c->socket_ = std::make_unique<zmq::socket_t>(*c->context_, zmq::socket_type::dealer);
  Configure(*c->socket_, c->options_);
  c->socket_->set(zmq::sockopt::routing_id, me.name);
  if (me.curve) {
    if (me.peers.size() != 1)
      return FailedPreconditionError("party " + me.name +
                                     " should know exactly one listening "
                                     "party's key, got " +
                                     std::to_string(me.peers.size()));
    c->socket_->set(zmq::sockopt::curve_serverkey, me.peers.begin()->second);
    c->socket_->set(zmq::sockopt::curve_publickey, me.public_key);
    c->socket_->set(zmq::sockopt::curve_secretkey, me.secret_key);
  }
  try {
    c->socket_->connect(me.connect);
  } catch (const zmq::error_t& e) {
    return UnavailableError("party " + me.name + " cannot connect to " + me.connect + ": " +
                            e.what());
  }
  c->last_sent_ = c->last_heard_ = Clock::now();
  return c;
}

std::optional<Message> Connection::Receive(std::chrono::milliseconds timeout,
                                           std::vector<std::string>& rejected) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<zmq::message_t> parts;
    while (zmq::recv_multipart(*socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      StatusOr<Message> m = Decode(parts, 0, options_);
      parts.clear();
      if (!m.ok()) {
        rejected.push_back("malformed message from the listening party: " + m.status().message());
        continue;
      }
      last_heard_ = Clock::now();
      if (m->kind != "HEARTBEAT") return std::move(*m);
    }
    const auto now = Clock::now();
    if (now - last_sent_ >= options_.heartbeat)
      (void)Send({"HEARTBEAT", nlohmann::json::object(), {}});
    if (now >= deadline) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    left = std::min(left, options_.heartbeat);
    zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(1)));
  }
}

Status Connection::Send(const Message& message) {
  last_sent_ = Clock::now();
  return SendMessage(*socket_, transport::EncodeMessage(message), "the listening party");
}

}  // namespace securemark::party
