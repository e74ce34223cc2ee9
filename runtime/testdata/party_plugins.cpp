// A two-role protocol for the runner's multi-party tests: a hub that asks every member
// for a number each round, and members that answer, crash or stall on demand.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "securemark/node.h"
#include "securemark/party.h"

namespace {

using namespace securemark;
using nlohmann::json;
using std::chrono::milliseconds;

party::ChannelOptions Protocol() {
  party::ChannelOptions o;
  o.kinds = {"JOIN", "ASK", "VALUE", "DONE"};
  o.max_message_bytes = 1 << 20;
  return o;
}

// testing.party_hub: runs `rounds` rounds over whoever has joined; a member that does not
// answer within round_timeout is dropped until it joins again.
class PartyHub : public Node {
 public:
  static constexpr Output<JsonDocument> kReport{
      "report", "{sum, rounds, answers{member: n}, dropped[], rejoined[], rejected[]}."};
  static constexpr Param<int64_t> kRounds{"rounds", 5, "Rounds to run.", Range{1, 100000}};
  static constexpr Param<double> kRoundTimeout{"round_timeout", 2, "Seconds to wait per round.",
                                               Range{0.01, 600}};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Asks members for numbers (test fixture).", kReport, kRounds,
                           kRoundTimeout);
  }
  Status Process(Context& ctx) override {
    const PartyInfo* me = ctx.Party();
    if (me == nullptr) return FailedPreconditionError("testing.party_hub runs only as a party");
    SM_ASSIGN_OR_RETURN(auto listener, party::Listener::Open(*me, Protocol()));
    SM_RETURN_IF_ERROR(ctx.Announce(listener->endpoint()));
    std::set<std::string> members;
    json answers = json::object(), dropped = json::array(), rejected = json::array(),
         rejoined = json::array();
    int64_t sum = 0;
    std::vector<std::string> why;
    auto note = [&] {
      for (const std::string& w : why) {
        ctx.Warn(w);
        rejected.push_back(w);
      }
      why.clear();
    };
    // Everyone joins first (or the step's timeout ends it).
    while (members.size() < me->peers.size()) {
      if (ctx.Cancelled()) return CancelledError("cancelled while members joined");
      if (auto e = listener->Receive(milliseconds(100), why); e && e->message.kind == "JOIN")
        members.insert(e->peer);
      note();
    }
    const auto timeout = milliseconds(static_cast<int64_t>(ctx.Get(kRoundTimeout) * 1000));
    for (int64_t round = 0; round < ctx.Get(kRounds); ++round) {
      std::set<std::string> waiting;
      for (const std::string& m : members) {
        if (listener->Send(m, {"ASK", {{"round", round}}, {}}).ok()) waiting.insert(m);
      }
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      while (!waiting.empty() && std::chrono::steady_clock::now() < deadline) {
        auto e = listener->Receive(milliseconds(20), why);
        note();
        if (!e) continue;
        if (e->message.kind == "JOIN") {
          // A member that joins again lost its state: it takes part from the next round.
          members.insert(e->peer);
          if (waiting.erase(e->peer)) rejoined.push_back(e->peer);
        } else if (e->message.kind == "VALUE" && e->message.header.value("round", -1) == round &&
                   waiting.erase(e->peer)) {
          sum += e->message.header.value("value", 0);
          answers[e->peer] = answers.value(e->peer, 0) + 1;
        }
      }
      for (const std::string& m : waiting) {
        members.erase(m);
        dropped.push_back(m);
        ctx.Warn(m + " dropped: no answer in round " + std::to_string(round));
      }
      ctx.Progress(round + 1, ctx.Get(kRounds), "round");
    }
    for (const std::string& m : members) (void)listener->Send(m, {"DONE", json::object(), {}});
    for (const auto& [name, key] : me->peers) {
      if (!members.count(name)) (void)listener->Send(name, {"DONE", json::object(), {}});
    }
    json report = {{"sum", sum},         {"rounds", ctx.Get(kRounds)}, {"answers", answers},
                   {"dropped", dropped}, {"rejoined", rejoined},       {"rejected", rejected}};
    return ctx.Set(kReport, JsonDocument(report.dump()));
  }
};

// testing.party_member: answers index + 1 (plus the value of its `bonus` input) each
// round. crash_at_round aborts the process
// once (a marker in its state directory remembers); stall_at_round stops answering for
// stall_seconds (it still hears DONE, so a long stall ends with the run).
class PartyMember : public Node {
 public:
  static constexpr Output<JsonDocument> kReport{"report", "{answered}."};
  static constexpr Input<JsonDocument> kBonus{"bonus", "{value}: added to every answer.",
                                              kOptional};
  static constexpr Param<int64_t> kCrashAt{"crash_at_round", -1, "Abort once at this round."};
  static constexpr Param<int64_t> kStallAt{"stall_at_round", -1, "Stall at this round."};
  static constexpr Param<double> kStallSeconds{"stall_seconds", 5, "How long to stall.",
                                               Range{0, 600}};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Answers the hub (test fixture).", kReport, kBonus, kCrashAt,
                           kStallAt, kStallSeconds);
  }
  Status Process(Context& ctx) override {
    const PartyInfo* me = ctx.Party();
    if (me == nullptr) return FailedPreconditionError("testing.party_member runs only as a party");
    int64_t bonus = 0;
    if (ctx.Has(kBonus)) {
      SM_ASSIGN_OR_RETURN(JsonDocument doc, ctx.Get(kBonus));
      bonus = json::parse(doc.text()).value("value", 0);
    }
    SM_ASSIGN_OR_RETURN(auto connection, party::Connection::Open(*me, Protocol()));
    SM_RETURN_IF_ERROR(connection->Send({"JOIN", json::object(), {}}));
    std::vector<std::string> why;
    int64_t answered = 0;
    std::chrono::steady_clock::time_point stalled_until;
    for (;;) {
      if (ctx.Cancelled()) return CancelledError("cancelled");
      std::optional<Message> m = connection->Receive(milliseconds(100), why);
      for (const std::string& w : why) ctx.Warn(w);
      why.clear();
      if (!m) continue;
      if (m->kind == "DONE") break;
      if (m->kind != "ASK") continue;
      const int64_t round = m->header.value("round", -1);
      if (round == ctx.Get(kCrashAt)) {
        const std::filesystem::path marker = std::filesystem::path(me->state_dir) / "crashed";
        if (!std::filesystem::exists(marker)) {
          std::filesystem::create_directories(me->state_dir);
          std::ofstream(marker) << "1";
          std::abort();
        }
      }
      if (round == ctx.Get(kStallAt)) {
        stalled_until = std::chrono::steady_clock::now() +
                        milliseconds(static_cast<int64_t>(ctx.Get(kStallSeconds) * 1000));
      }
      if (std::chrono::steady_clock::now() < stalled_until) continue;
      SM_RETURN_IF_ERROR(
          connection->Send({"VALUE", {{"round", round}, {"value", me->index + 1 + bonus}}, {}}));
      ++answered;
    }
    return ctx.Set(kReport, JsonDocument(json{{"answered", answered}}.dump()));
  }
};

}  // namespace

SECUREMARK_PLUGIN(PartyHub, testing, party_hub)
SECUREMARK_PLUGIN(PartyMember, testing, party_member)
