// evaluate.collusion: detection and false-alarm rates as JSON and CSV.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plugin_testing/code_fixture.h"

namespace securemark::code_testing {
namespace {

TEST_F(CodePluginsTest, EvaluationReportsJsonAndCsv) {
  auto made = RunNode(Plugin("cic.tardos"),
                      {{"users", int64_t{50}}, {"colluders", int64_t{2}}, {"basis", false}}, {});
  ASSERT_TRUE(made.ok()) << made.status();
  InputValues in;
  in["codebook"].push_back({"Codebook", Output(*made, "codebook").bytes, false});
  auto r = RunNode(Plugin("evaluate.collusion"),
                   {{"k_values", std::vector<int64_t>{1, 2}},
                    {"trials", int64_t{100}},
                    {"detector", std::string("tardos")}},
                   std::move(in));
  ASSERT_TRUE(r.ok()) << r.status();
  auto report = nlohmann::json::parse(Output(*r, "report").bytes);
  ASSERT_EQ(report["rows"].size(), 2u);
  EXPECT_EQ(report["rows"][1]["k"], 2);
  EXPECT_EQ(report["rows"][0]["false_alarm"]["count"], 0);
  std::string csv = Output(*r, "table").bytes;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
}

}  // namespace
}  // namespace securemark::code_testing
