// Multi-party steps under `securemark run`: one host process per party, the parties
// talking to each other over ZeroMQ, a crashed party rejoining, a stalled one dropped.
#include <gtest/gtest.h>

#include "run_fixture.h"

namespace securemark {
namespace {

using PartyRunTest = RunFixture;

json ReadJson(store::Store& s, const std::string& artifact_name) {
  auto stmt = s.db().Prepare("SELECT id FROM artifacts WHERE name=? ORDER BY id DESC");
  EXPECT_TRUE(stmt.ok());
  stmt->Bind(1, artifact_name);
  if (!*stmt->Step()) return json();
  return json::parse(*s.ReadArtifact(stmt->Int(0)));
}

std::string Meeting(const std::string& runtime, const std::string& hub_with,
                    const std::string& extra_parties = "") {
  return R"(params: {members: 3}
steps:
  - id: meet
)" + runtime +
         R"(
    parties:
      - name: hub
        uses: testing.party_hub
        with: )" +
         hub_with + R"(
      - name: member
        uses: testing.party_member
        count: ${{ params.members }}
)" + extra_parties;
}

TEST_F(PartyRunTest, PartiesTalkToEachOtherAndEveryPartysOutputIsRecorded) {
  for (const std::string encrypt : {"true", "false"}) {
    // Different seconds per round: the fingerprint ignores runtime.encrypt.
    std::string file = Write(
        "meet" + encrypt,
        Meeting("    runtime: {encrypt: " + encrypt + "}",
                std::string("{rounds: 5, round_timeout: ") + (encrypt == "true" ? "2" : "3") + "}",
                "  - id: gather\n    uses: testing.gather\n"
                "    inputs: {parts: [meet.member/report, meet.hub/report]}\n"));
    Run run = RunPipeline(file);
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    EXPECT_EQ(run.states["meet"], "COMPLETE");
    auto s = Store();
    json report = ReadJson(*s, "meet.report");
    EXPECT_EQ(report["sum"], 5 * (1 + 2 + 3)) << report.dump();
    EXPECT_TRUE(report["dropped"].empty());
    EXPECT_TRUE(report["rejected"].empty()) << report.dump();
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(ReadJson(*s, "meet.member@" + std::to_string(i) + "/report")["answered"], 5);
    }
    // Downstream steps take the parties' outputs: the members' in order, then the hub's.
    json all = ReadJson(*s, "gather.all");
    ASSERT_EQ(all.size(), 4u) << all.dump();
    EXPECT_EQ(all[2]["answered"], 5);
    EXPECT_EQ(all[3]["sum"], report["sum"]);
  }
  // A re-run is cached; more members make a different step.
  Run again = RunPipeline(dir_ + "/meetfalse");
  EXPECT_EQ(again.states["meet"], "CACHED");
  Run more = RunPipeline(dir_ + "/meetfalse", "--set members=4");
  EXPECT_EQ(more.states["meet"], "COMPLETE");
  EXPECT_EQ(ReadJson(*Store(), "meet.report")["sum"], 5 * (1 + 2 + 3 + 4));
}

TEST_F(PartyRunTest, ACrashedPartyIsStartedAgainAndRejoins) {
  std::string file = Write("crash", Meeting("", "{rounds: 12, round_timeout: 20}") +
                                        R"(      - name: fragile
        uses: testing.party_member
        with: {crash_at_round: 3}
)");
  Run run = RunPipeline(file);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  json report = ReadJson(*Store(), "meet.report");
  EXPECT_EQ(report["rejoined"], json::array({"fragile"})) << report.dump();
  EXPECT_TRUE(report["dropped"].empty());
  // It missed the round it crashed in and answered every later one.
  EXPECT_EQ(report["answers"]["fragile"], 11) << report.dump();
  EXPECT_EQ(report["answers"]["member@2"], 12);
  bool logged = false;
  for (const json& e : run.events) {
    logged |= e.value("message", "").find("fragile is gone") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST_F(PartyRunTest, AStalledPartyIsDroppedAndTheOthersFinish) {
  // The stall outlasts the run and the round timeout is far beyond a healthy answer, so
  // only the sleepy member can miss a round, however loaded the machine.
  std::string file = Write("stall", Meeting("", "{rounds: 6, round_timeout: 5}") +
                                        R"(      - name: sleepy
        uses: testing.party_member
        with: {stall_at_round: 1, stall_seconds: 600}
)");
  Run run = RunPipeline(file);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  json report = ReadJson(*Store(), "meet.report");
  EXPECT_EQ(report["dropped"], json::array({"sleepy"})) << report.dump();
  EXPECT_EQ(report["answers"]["sleepy"], 1);
  EXPECT_EQ(report["sum"], 6 * (1 + 2 + 3) + 1);
}

TEST_F(PartyRunTest, AFailingListenerFailsTheStep) {
  std::string file = Write("bad", R"(steps:
  - id: meet
    parties:
      - name: member
        uses: testing.party_member
      - name: hub
        uses: testing.party_hub
)");
  Run run = RunPipeline(file);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.states["meet"], "FAILED");
  // The first party listens; a member cannot, and says so.
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE name='meet' AND state='FAILED'"), 1);
}

// An input named "role/port" reaches every party of that role (and only them), and it is
// an input of the step's execution like any other: in its lineage and its cache key.
TEST_F(PartyRunTest, PartyInputsReachEveryPartyOfTheirRole) {
  const std::string file = Write("bonus", R"(params: {bonus: 10}
steps:
  - id: bonus
    uses: testing.work
    with: {value: "${{ params.bonus }}"}
  - id: meet
    inputs: {member/bonus: bonus.out}
    parties:
      - name: hub
        uses: testing.party_hub
        with: {rounds: 2, round_timeout: 20}
      - name: member
        uses: testing.party_member
        count: 3
      - name: plain
        uses: testing.party_member
)");
  Run run = RunPipeline(file);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  // Members answer index + 1 + 10; the party of another role gets no bonus.
  EXPECT_EQ(ReadJson(*Store(), "meet.report")["sum"], 2 * ((1 + 2 + 3) + 3 * 10 + 1));
  EXPECT_EQ(Count("SELECT count(*) FROM events e JOIN executions x ON e.execution_id = x.id "
                  "WHERE x.name = 'meet' AND e.type = 'INPUT' AND e.path = 'member/bonus'"),
            1);
  Run changed = RunPipeline(file, "--set bonus=20");
  ASSERT_EQ(changed.exit_code, 0) << changed.stderr_text;
  EXPECT_EQ(changed.states["meet"], "COMPLETE");
  EXPECT_EQ(ReadJson(*Store(), "meet.report")["sum"], 2 * ((1 + 2 + 3) + 3 * 20 + 1));
}

}  // namespace
}  // namespace securemark
