// pipelines/robustness-eval.yaml on a small slice of Fashion-MNIST: every attack runs on
// real pooled models, and the rows show what the design promises and where it breaks.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/process.h"

namespace securemark {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;
const std::string kSource = SECUREMARK_SOURCE_DIR;

int Securemark(const std::string& args, std::string* output) {
  auto r = RunProcess({"/bin/sh", "-c", kBuild + "/bin/securemark " + args + " 2>/dev/null"}, true);
  EXPECT_TRUE(r.ok());
  *output = r->output;
  return r->exit_code;
}

TEST(RobustnessEvalTest, AlignmentAndSecretUnitWeightsKeepTracingWhereTheyShould) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  const std::string store = testing::TempDir() + "/robustness_eval";
  std::filesystem::remove_all(store);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/robustness-eval.yaml --plain --jobs 2 " +
                           "--store " + store +
                           " --set examples=3000 test_examples=500 cnn_epochs=1 fc_epochs=1"
                           " fc_copies=12 trials=1 null_models=3 embed_batches=10"
                           " 'cnn_k=[1,2]' 'fc_k=[1,2]' 'prune_rates=[0.5,0.99]'"
                           " 'collusion_prune_rates=[0.5]' 'shift_alphas=[1.0]'",
                       &out),
            0)
      << out;
  ASSERT_EQ(Securemark("show table.summary --content --store " + store, &out), 0) << out;
  const nlohmann::json summary = nlohmann::json::parse(out);
  std::map<std::string, std::vector<nlohmann::json>> by_label;
  for (const auto& row : summary["rows"]) by_label[row["label"]].push_back(row);
  ASSERT_EQ(by_label.size(), 13u) << summary.dump(1);
  auto detection = [&](const std::string& label, double strength = 0) {
    double sum = 0;
    int n = 0;
    for (const auto& row : by_label[label]) {
      if (row["strength"].get<double>() != strength) continue;
      sum += row["detection"].get<double>();
      ++n;
      EXPECT_EQ(row["false_alarm"].get<double>(), 0.0) << label << " " << row.dump();
    }
    EXPECT_GT(n, 0) << label;
    return n ? sum / n : -1;
  };
  for (const std::string setup : {"cnn", "fc"}) {
    EXPECT_EQ(detection(setup + " finetune"), 1.0) << setup;
    EXPECT_EQ(detection(setup + " prune", 0.5), 1.0) << setup;
    EXPECT_EQ(detection(setup + " reparam aligned"), 1.0) << setup;
    EXPECT_EQ(detection(setup + " reparam unaligned"), 0.0) << setup;  // the failure
    EXPECT_EQ(detection(setup + " weight shift", 1.0), 1.0) << setup;  // secret unit weights
    // Pruning half the weights keeps every code bit; pruning 99% ruins model and code.
    EXPECT_EQ(detection(setup + " pruning curve", 0.5), 1.0) << setup;
    for (const auto& row : by_label[setup + " pruning curve"]) {
      if (row["strength"] == 0.5) {
        EXPECT_EQ(row["extraction_accuracy"].get<double>(), 1.0);
      }
      if (row["strength"] == 0.99) {
        EXPECT_LT(row["test_accuracy"].get<double>(), 0.3);
      }
    }
  }
  // DeepMarks' mean-of-channels key loses the fingerprint to one subtraction.
  EXPECT_EQ(detection("cnn weight shift mean key", 1.0), 0.0);
}

}  // namespace
}  // namespace securemark
