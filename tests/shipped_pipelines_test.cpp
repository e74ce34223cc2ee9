// Every pipeline in pipelines/ validates, and the quick ones run (with fewer trials).
#include <filesystem>

#include <gtest/gtest.h>

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
  EXPECT_NE(out.find("\"hard_threshold\",31,31,hard_threshold,5,1.0,0.0"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"sequential\",31,31,sequential,5,1.0,0.0"), std::string::npos) << out;
}

}  // namespace
}  // namespace securemark
