#include "report/run_summary.h"

#include <gtest/gtest.h>

namespace securemark::report {
namespace {

using nlohmann::json;

std::string Finding(const RunSummary& s, const std::string& topic) {
  for (const auto& [t, sentence] : s.findings)
    if (t == topic) return sentence;
  return "";
}

TEST(RunSummaryTest, CountsCustomersAndTheAccuracyTheFingerprintCost) {
  std::vector<StepRecord> steps = {{"train", "server_trainer.standalone", "complete"},
                                   {"deliver@0", "delivery.torchscript", "complete"},
                                   {"deliver@1", "delivery.torchscript", "cached"},
                                   {"deliver@2", "delivery.torchscript", "failed"}};
  std::vector<StepDocument> docs = {
      {"train", "server_trainer.standalone", {{"test_accuracy", 0.90}}},
      // mu = 0 is the control fine-tuning without a fingerprint, not a customer's copy
      {"plain", "embedder.projection", {{"customer", 0}, {"mu", 0}, {"test_accuracy", 0.5}}},
      {"embed@0", "embedder.projection", {{"customer", 0}, {"mu", 100}, {"test_accuracy", 0.89}}},
      {"embed@1", "embedder.projection", {{"customer", 1}, {"mu", 100}, {"test_accuracy", 0.88}}},
      {"embed@2", "embedder.projection", {{"customer", 2}, {"mu", 100}, {"test_accuracy", 0.895}}}};
  RunSummary s = Summarise(steps, docs, {});
  const std::string customers = Finding(s, "Customers");
  EXPECT_NE(customers.find("2 fingerprinted copies delivered"), std::string::npos) << customers;
  EXPECT_NE(customers.find("0.888 on average (lowest 0.880)"), std::string::npos) << customers;
  EXPECT_NE(customers.find("a cost of 1.17 points"), std::string::npos) << customers;
  EXPECT_NE(Finding(s, "Steps").find("4 executions: 1 cached, 2 complete, 1 failed"),
            std::string::npos)
      << Finding(s, "Steps");
  // Nothing fingerprinted: no claim about customers at all.
  EXPECT_EQ(Finding(Summarise({steps[0]}, {docs[0]}, {}), "Customers"), "");
}

TEST(RunSummaryTest, SaysWhoWasAccusedAtWhichStageAndWithWhatConfidence) {
  json accused = {
      {"decided_by", "identification"},
      {"provenance", {{"p_value", 1e-300}}},
      {"accused", {{{"user", 1}, {"p_value", 2.1e-104}}, {{"user", 3}, {"p_value", 0.004}}}}};
  json innocent = {{"decided_by", "provenance"},
                   {"provenance", {{"p_value", 0.67}}},
                   {"accused", json::array()}};
  RunSummary s = Summarise({},
                           {{"detect", "detector.hard_threshold", accused},
                            {"null", "detector.hard_threshold", innocent}},
                           {});
  const std::string a = Finding(s, "Verdict (detect)"), b = Finding(s, "Verdict (null)");
  EXPECT_NE(a.find("Accused customer 1 (p 2.1e-104), customer 3 (p 0.004) at stage 2"),
            std::string::npos)
      << a;
  EXPECT_NE(b.find("Nobody accused: stage 1 (provenance)"), std::string::npos) << b;
  EXPECT_NE(b.find("(p 0.67)"), std::string::npos) << b;
  // Many investigations (an evaluation) are counted, not listed.
  std::vector<StepDocument> many(5, {"detect@x", "detector.hard_threshold", innocent});
  many[0].doc = accused;
  EXPECT_NE(
      Finding(Summarise({}, many, {}), "Investigations").find("1 led to accusations, 4 to none"),
      std::string::npos);
}

TEST(RunSummaryTest, TabulatesDetectionPerKOncePerSetting) {
  CsvTable tracing{{"label", "detector", "k", "detection", "false_alarm"},
                   {{"models", "hard_threshold", "1", "1", "0"},
                    {"models", "hard_threshold", "2", "0.75", "0.01"}}};
  // A summary table repeats the first table's rows (with other values it would be a bug
  // in the table, but the first one seen stands) and adds its own.
  CsvTable gathered{{"label", "detector", "k", "detection", "false_alarm"},
                    {{"models", "hard_threshold", "2", "0.1", "0.5"},
                     {"simulated", "hard_threshold", "3", "0.5", "0.002"}}};
  RunSummary s = Summarise({}, {}, {{"tracing.table", tracing}, {"comparison.table", gathered}});
  ASSERT_EQ(s.tables.size(), 1u);
  const SummaryTable& t = s.tables[0];
  EXPECT_EQ(t.columns, (std::vector<std::string>{"tracing", "K=1", "K=2", "K=3"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"models, hard_threshold", "1.00 / 0.000",
                                                 "0.75 / 0.010", ""}));
  EXPECT_EQ(t.rows[1][3], "0.50 / 0.002");
  EXPECT_NE(Finding(s, "Tracing").find("highest false alarm (share of innocents accused) is 0.010"),
            std::string::npos)
      << Finding(s, "Tracing");
}

TEST(RunSummaryTest, NamesTheStrongestAttackPerPrivacySetup) {
  CsvTable privacy{{"setup", "test_accuracy", "attack", "mse", "ssim"},
                   {{"no defender", "0.90", "Attack1", "0.02", "0.70"},
                    {"no defender", "0.90", "Attack5", "0.01", "0.80"},
                    {"multiple defenders", "0.88", "Attack1", "0.09", "0.30"},
                    {"multiple defenders", "0.88", "Attack5", "0.08", "0.20"}}};
  RunSummary s = Summarise({}, {}, {{"privacy.table", privacy}});
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].rows[0],
            (std::vector<std::string>{"no defender", "0.900", "Attack5", "0.800"}));
  EXPECT_EQ(s.tables[0].rows[1][2], "Attack1");
  const std::string p = Finding(s, "Privacy");
  EXPECT_NE(p.find("SSIM 0.800; multiple defenders lowers it to 0.300 at 2.0 points"),
            std::string::npos)
      << p;
}

// A setup that bought its low SSIM with its accuracy is not the one the finding credits.
TEST(RunSummaryTest, CreditsOnlySetupsThatKeptTheirAccuracy) {
  CsvTable privacy{{"setup", "test_accuracy", "attack", "ssim", "best_ssim", "verdict"},
                   {{"none", "0.90", "Attack1", "0.70", "0.72", "baseline"},
                    {"noisy", "0.89", "Attack1", "0.30", "0.35", "protects"},
                    {"collapsed", "0.20", "Attack1", "0.10", "0.10", "accuracy lost"}}};
  RunSummary s = Summarise({}, {}, {{"privacy.table", privacy}});
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].rows[2],
            (std::vector<std::string>{"collapsed", "0.200", "Attack1", "0.100", "accuracy lost"}));
  const std::string p = Finding(s, "Privacy");
  EXPECT_NE(p.find("SSIM 0.720; noisy lowers it to 0.350 at 1.0 points of accuracy (not "
                   "credited, their accuracy fell past the margin: collapsed)"),
            std::string::npos)
      << p;
}

TEST(RunSummaryTest, ParametersAreRowsNotJson) {
  auto rows = ParameterRows(json{{"epochs", 3}, {"data_dir", "/data"}, {"k", {1, 2}}});
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{
                      {"data_dir", "/data"}, {"epochs", "3"}, {"k", "[1,2]"}}));
}

}  // namespace
}  // namespace securemark::report
