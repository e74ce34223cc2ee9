// Every pipeline in pipelines/ validates, and the quick ones run (with fewer trials).
#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/process.h"

namespace securemark {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;
const std::string kSource = SECUREMARK_SOURCE_DIR;

int Securemark(const std::string& args, std::string* output = nullptr) {
  auto r = RunProcess({"/bin/sh", "-c", kBuild + "/bin/securemark " + args + " 2>&1"}, true);
  EXPECT_TRUE(r.ok());
  if (output) *output = r->output;
  return r->exit_code;
}

TEST(ShippedPipelinesTest, AllValidate) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSource + "/pipelines")) {
    if (entry.path().extension() != ".yaml") continue;
    std::string out;
    EXPECT_EQ(Securemark("validate " + entry.path().string(), &out), 0) << out;
    ++count;
  }
  EXPECT_GE(count, 5);
}

TEST(ShippedPipelinesTest, QuickstartRunsAndResumesFromTheCache) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  const std::string store = testing::TempDir() + "/shipped_quickstart";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/quickstart.yaml --plain --store " + store +
                           " --set examples=3000",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("8 completed, 0 cached"), std::string::npos) << out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/quickstart.yaml --plain --store " + store +
                           " --set examples=3000",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("0 completed, 8 cached"), std::string::npos) << out;
}

TEST(ShippedPipelinesTest, CodeEvaluationRuns) {
  const std::string store = testing::TempDir() + "/shipped_codes";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/codes-31-6-1.yaml --plain --store " + store +
                           " --set trials=300",
                       &out),
            0)
      << out;
  // Within the resilience every detector is exact.
  EXPECT_NE(out.find("\"hard_threshold\",31,31,hard_threshold,5,300,1.0,0.0"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"sequential\",31,31,sequential,5,300,1.0,0.0"), std::string::npos) << out;
}

// The community-code table: every graph, generator and length has its row, and on every
// graph spectral codes rank same-community pairs far better than NPH and random codes.
TEST(ShippedPipelinesTest, CommunityCodeEvaluationProducesTheWholeTable) {
  const std::string edges = kSource + "/../shared/data/ego-facebook/facebook_combined.txt";
  if (!std::filesystem::exists(edges)) GTEST_SKIP() << "no ego-Facebook data beside the project";
  const std::string store = testing::TempDir() + "/shipped_crc_eval";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/crc-eval.yaml --plain --jobs 2 --store " +
                           store + " --set edges=" + edges + " trials=100 max_pairs=300000",
                       &out),
            0)
      << out;
  ASSERT_EQ(Securemark("show table.summary --content --store " + store, &out), 0) << out;
  const nlohmann::json rows = nlohmann::json::parse(out)["rows"];
  ASSERT_EQ(rows.size(), 9u * 2 * 3);  // graphs x lengths x generators
  std::map<std::string, double> auc;
  for (const auto& row : rows) auc[row["label"].get<std::string>()] = row["auc"].get<double>();
  for (const auto& [label, value] : auc) {
    const size_t space = label.rfind(' ');
    if (label.substr(space + 1) != "spectral") continue;
    const std::string key = label.substr(0, space);
    EXPECT_GT(value, 0.7) << label;
    EXPECT_GT(value, auc.at(key + " nph") + 0.1) << label;
    EXPECT_NEAR(auc.at(key + " random"), 0.5, 0.05) << label;
  }
}

// DeepMarks end to end on a small slice of Fashion-MNIST: 31 fingerprinted copies,
// delivered, three coalitions averaged and traced; the store knows who got which model.
TEST(ShippedPipelinesTest, DeepmarksTracesAveragedModelsAndRecordsDeliveries) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  const std::string store = testing::TempDir() + "/shipped_deepmarks";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(
      Securemark("run " + kSource + "/pipelines/deepmarks-fmnist.yaml --plain --store " + store +
                     " --set examples=2000 --set test_examples=200 --set epochs=1"
                     " --set embed_batches=20 --set 'coalitions=[{name: a, k: 1, seed: 1},"
                     " {name: b, k: 2, seed: 2}, {name: c, k: 3, seed: 3}]'",
                 &out),
      0)
      << out;
  // Every delivered model is labelled with its customer, once per customer.
  const std::string db = store + "/metadata.sqlite";
  auto query = [&](const std::string& sql) {
    auto r = RunProcess({"sqlite3", db, sql}, true);
    EXPECT_TRUE(r.ok());
    return r->output;
  };
  EXPECT_EQ(query("SELECT count(DISTINCT p.string_value) FROM artifact_properties p JOIN artifacts "
                  "a ON a.id = p.artifact_id WHERE p.name = 'customer' AND a.name LIKE "
                  "'deliver@%';"),
            "31\n");
  EXPECT_EQ(query("SELECT p.string_value FROM artifact_properties p JOIN artifacts a ON a.id = "
                  "p.artifact_id WHERE p.name = 'customer' AND a.name = 'deliver@17.model';"),
            "17\n");
  // One secret key, stored once however many customers drew it.
  EXPECT_EQ(query("SELECT count(DISTINCT digest), min(secret) FROM artifacts WHERE name LIKE "
                  "'embed@%.key';"),
            "1|1\n");
  EXPECT_NE(out.find("tracing: info: K=1: detection 1.0"), std::string::npos) << out;
  EXPECT_NE(out.find("tracing: info: K=3: detection 1.0"), std::string::npos) << out;
  EXPECT_NE(out.find("tracing: COMPLETE"), std::string::npos) << out;
  EXPECT_NE(out.find("table: COMPLETE"), std::string::npos) << out;
}

// The SecureMark-DL pipeline, small: split training with 4 owners, the 302-bit
// fingerprint (community code + identity code) embedded both ways, every copy traced.
TEST(ShippedPipelinesTest, SecuremarkFmnistTracesEveryCustomerAndItsCommunity) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  const std::string store = testing::TempDir() + "/shipped_securemark";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/securemark-fmnist.yaml --plain --store " +
                           store + " --set social_graph=" + kSource +
                           "/../shared/data/ego-facebook/facebook_combined.txt"
                           " --set owners=4 examples=4000 test_examples=1000 epochs=1"
                           " customers=2 embed_batches=10",
                       &out),
            0)
      << out;
  auto show = [&](const std::string& name) {
    std::string text;
    EXPECT_EQ(Securemark("show " + name + " --content --store " + store, &text), 0) << text;
    return nlohmann::json::parse(text, nullptr, false);
  };
  for (const auto& [detection, customer] : std::vector<std::pair<std::string, int>>{
           {"detect@0", 0}, {"detect@1", 1}, {"detect_marked", 0}}) {
    nlohmann::json d = show(detection + ".accusation");
    ASSERT_EQ(d["accused"].size(), 1u) << d.dump();
    EXPECT_EQ(d["accused"][0]["user"], customer);
    EXPECT_EQ(d["length"], 302);
    EXPECT_EQ(d["community"]["code"].get<std::string>().size(), 60u);
    // Community screening finds the customer's own community, at distance 0.
    EXPECT_EQ(d["community"]["distance"], 0);
    EXPECT_NE(
        std::find(d["community"]["members"].begin(), d["community"]["members"].end(), customer),
        d["community"]["members"].end());
    EXPECT_EQ(d["accused"][0]["community"], d["community"]["code"]);
  }
  // Different customers (graph nodes 0 and 1) read back their own community codes.
  EXPECT_NE(show("detect@0.accusation")["community"]["code"],
            show("detect@1.accusation")["community"]["code"]);
  EXPECT_EQ(show("detect@0.accusation")["community"]["code"],
            show("detect_marked.accusation")["community"]["code"]);
  EXPECT_GT(show("train.report")["test_accuracy"].get<double>(), 0.3);
}

}  // namespace
}  // namespace securemark
