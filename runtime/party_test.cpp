#include "securemark/party.h"

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "transport/curve.h"

namespace securemark::party {
namespace {

using std::chrono::milliseconds;

ChannelOptions Options() {
  ChannelOptions o;
  o.kinds = {"PING"};
  o.max_message_bytes = 4096;
  return o;
}

struct Parties {
  PartyInfo listener, member;
};

Parties Make(bool curve) {
  transport::KeyPair l = transport::NewKeyPair(), m = transport::NewKeyPair();
  Parties p;
  p.listener = {"server",
                "server",
                0,
                1,
                curve,
                l.public_key,
                l.secret_key,
                {{"owner@0", m.public_key}},
                "tcp://127.0.0.1:*",
                "",
                ""};
  p.member = {
      "owner@0", "owner", 0, 1, curve, m.public_key, m.secret_key, {{"server", l.public_key}},
      "",        "",      ""};
  return p;
}

bool Mentions(const std::vector<std::string>& why, const std::string& text) {
  for (const auto& w : why) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// Waits for an event, never for a fixed window: the next message, or (with `dropped_for`)
// the listener's note that it dropped one for that reason. The bound only turns a broken
// channel into a failure instead of a hang.
constexpr auto kEventBound = std::chrono::seconds(30);

std::optional<Envelope> Receive(Listener& l, std::vector<std::string>& why,
                                const std::string& dropped_for = "") {
  const auto deadline = std::chrono::steady_clock::now() + kEventBound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto e = l.Receive(milliseconds(20), why)) return e;
    if (!dropped_for.empty() && Mentions(why, dropped_for)) return std::nullopt;
  }
  ADD_FAILURE() << "neither a message nor a drop"
                << (dropped_for.empty() ? "" : " for '" + dropped_for + "'") << " within "
                << kEventBound.count() << " s";
  return std::nullopt;
}

TEST(PartyChannelTest, ListedPartiesTalkBothWays) {
  for (bool curve : {true, false}) {
    Parties p = Make(curve);
    auto listener = Listener::Open(p.listener, Options());
    ASSERT_TRUE(listener.ok()) << listener.status().message();
    p.member.connect = (*listener)->endpoint();
    auto member = Connection::Open(p.member, Options());
    ASSERT_TRUE(member.ok()) << member.status().message();
    ASSERT_TRUE((*member)->Send({"PING", {{"n", 1}}, {"payload"}}).ok());
    std::vector<std::string> why;
    auto e = Receive(**listener, why);
    ASSERT_TRUE(e) << curve;
    EXPECT_EQ(e->peer, "owner@0");
    EXPECT_EQ(e->message.header["n"], 1);
    EXPECT_EQ(e->message.payloads.at(0), "payload");
    ASSERT_TRUE((*listener)->Send("owner@0", {"PING", {{"n", 2}}, {}}).ok());
    auto back = (*member)->Receive(kEventBound, why);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->header["n"], 2);
    EXPECT_TRUE(why.empty());
    EXPECT_TRUE((*listener)->LastHeard("owner@0").has_value());
    EXPECT_FALSE((*listener)->Send("owner@9", {"PING", {}, {}}).ok());
  }
}

TEST(PartyChannelTest, AnUnlistedKeyIsRefused) {
  Parties p = Make(true);
  auto listener = Listener::Open(p.listener, Options());
  ASSERT_TRUE(listener.ok());
  PartyInfo intruder = p.member;
  transport::KeyPair other = transport::NewKeyPair();
  intruder.public_key = other.public_key;
  intruder.secret_key = other.secret_key;
  intruder.connect = (*listener)->endpoint();
  auto connection = Connection::Open(intruder, Options());
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE((*connection)->Send({"PING", nlohmann::json::object(), {}}).ok());
  std::vector<std::string> why;
  const std::string refusal = "refused a connection with unlisted key " + other.public_key;
  EXPECT_FALSE(Receive(**listener, why, refusal));
  EXPECT_TRUE(Mentions(why, refusal));
}

// A peer with a listed key that claims another name, and frames no protocol message has.
TEST(PartyChannelTest, MalformedAndImpersonatingMessagesAreDroppedWithAReason) {
  Parties p = Make(true);
  auto listener = Listener::Open(p.listener, Options());
  ASSERT_TRUE(listener.ok());
  zmq::context_t context(1);
  zmq::socket_t raw(context, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.set(zmq::sockopt::routing_id, "server");  // claims to be someone else
  raw.set(zmq::sockopt::curve_serverkey, p.listener.public_key);
  raw.set(zmq::sockopt::curve_publickey, p.member.public_key);
  raw.set(zmq::sockopt::curve_secretkey, p.member.secret_key);
  raw.connect((*listener)->endpoint());
  auto send = [&](std::vector<std::string> frames) {
    std::vector<zmq::const_buffer> b;
    for (auto& f : frames) b.push_back(zmq::buffer(f));
    zmq::send_multipart(raw, b);
  };
  send({"PING", "{}"});
  std::vector<std::string> why;
  EXPECT_FALSE(Receive(**listener, why, "party owner@0 used the name 'server'"));
  EXPECT_TRUE(Mentions(why, "party owner@0 used the name 'server'")) << why.size();

  zmq::socket_t honest(context, zmq::socket_type::dealer);
  honest.set(zmq::sockopt::linger, 0);
  honest.set(zmq::sockopt::routing_id, "owner@0");
  honest.set(zmq::sockopt::curve_serverkey, p.listener.public_key);
  honest.set(zmq::sockopt::curve_publickey, p.member.public_key);
  honest.set(zmq::sockopt::curve_secretkey, p.member.secret_key);
  honest.connect((*listener)->endpoint());
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"PING"}, "expected a kind and a JSON header"},
      {{"PING", "not json"}, "header is not a JSON object"},
      {{"PING", "[1]"}, "header is not a JSON object"},
      {{"STEAL", "{}"}, "unknown message kind 'STEAL'"},
      // Each frame within the socket's limit, the message as a whole beyond it.
      {{"PING", "{}", std::string(3000, 'x'), std::string(3000, 'y')}, "exceeds 4096 bytes"},
  };
  for (const auto& [frames, reason] : cases) {
    why.clear();
    std::vector<zmq::const_buffer> b;
    for (auto& f : frames) b.push_back(zmq::buffer(f));
    zmq::send_multipart(honest, b);
    EXPECT_FALSE(Receive(**listener, why, reason)) << reason;
    EXPECT_TRUE(Mentions(why, reason)) << reason << ": " << (why.empty() ? "" : why[0]);
  }
  // The channel still works afterwards.
  std::vector<std::string> good = {"PING", "{\"ok\":true}"};
  std::vector<zmq::const_buffer> b;
  for (auto& f : good) b.push_back(zmq::buffer(f));
  zmq::send_multipart(honest, b);
  auto e = Receive(**listener, why);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->peer, "owner@0");
}

TEST(PartyChannelTest, WithoutEncryptionOnlyListedNamesAreAccepted) {
  Parties p = Make(false);
  auto listener = Listener::Open(p.listener, Options());
  ASSERT_TRUE(listener.ok());
  PartyInfo stranger = p.member;
  stranger.name = "owner@7";
  stranger.connect = (*listener)->endpoint();
  auto connection = Connection::Open(stranger, Options());
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE((*connection)->Send({"PING", nlohmann::json::object(), {}}).ok());
  std::vector<std::string> why;
  EXPECT_FALSE(Receive(**listener, why, "unknown party 'owner@7'"));
  EXPECT_TRUE(Mentions(why, "unknown party 'owner@7'"));
}

TEST(PartyChannelTest, AConnectingPartyNeedsAnEndpoint) {
  Parties p = Make(true);
  auto c = Connection::Open(p.member, Options());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no endpoint"), std::string::npos);
}

}  // namespace
}  // namespace securemark::party
