// The deployment the investigation tests examine: pipelines/deepmarks-fmnist.yaml on a
// small Fashion-MNIST sample, built once in a shared store (ctest's investigation_store
// lock keeps the test programs that use it from running at once).
#pragma once

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/process.h"

namespace securemark {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kBuild = SECUREMARK_BUILD_DIR;
inline const std::string kSource = SECUREMARK_SOURCE_DIR;

inline int Securemark(const std::string& args, std::string* output = nullptr,
                      bool with_stderr = true) {
  auto r = RunProcess(
      {"/bin/sh", "-c", kBuild + "/bin/securemark " + args + (with_stderr ? " 2>&1" : "")}, true);
  EXPECT_TRUE(r.ok());
  if (output) *output = r->output;
  return r->exit_code;
}

// The customers a verdict accuses, in ascending order.
inline std::vector<int64_t> AccusedUsers(const json& verdict) {
  std::vector<int64_t> users;
  for (const json& a : verdict["accused"]) users.push_back(a["user"].get<int64_t>());
  std::sort(users.begin(), users.end());
  return users;
}

class InvestigationTest : public ::testing::Test {
 protected:
  // ctest runs each case in its own process; the first builds the store, the others find
  // every step in its cache.
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/share/datasets/fashion-mnist")) return;
    std::string out;
    ran_ =
        Securemark("run " + kSource + "/pipelines/deepmarks-fmnist.yaml --plain --store " +
                       Store() + " --set examples=2000 --set test_examples=300 --set epochs=2" +
                       " --set embed_batches=20 --set export_dir=" + Dir() + "/delivered" +
                       " --set 'coalitions=[{name: a, k: 1, seed: 1}, {name: b, k: 2, seed: 2}]'",
                   &out) == 0;
    if (!ran_) std::cerr << out;
  }
  void SetUp() override {
    if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
    ASSERT_TRUE(ran_);
  }
  static std::string Dir() { return ::testing::TempDir() + "/investigation"; }
  static std::string Store() { return Dir() + "/store"; }
  static std::string Delivered(int customer) {
    return Dir() + "/delivered/customer-" + std::to_string(customer) + ".pt";
  }
  static json TraceJson(const std::string& file) {
    std::string out;
    EXPECT_EQ(Securemark("trace " + file + " --store " + Store() + " --json --nulls 8", &out,
                         /*with_stderr=*/false),
              0);
    return json::parse(out, nullptr, false);
  }
  static std::vector<int64_t> Accused(const json& verdict) { return AccusedUsers(verdict); }
  static inline bool ran_ = false;
};

}  // namespace securemark
