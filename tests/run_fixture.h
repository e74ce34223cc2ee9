// The fixture of the `securemark run` end-to-end tests: a scratch directory per test, a
// pipeline writer, a runner that parses the --json event stream, and store queries.
#pragma once

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "securemark/files.h"
#include "sqlite.h"
#include "store.h"
#include "util/process.h"

namespace securemark {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kBuild = SECUREMARK_BUILD_DIR;
inline const std::string kEnv = "SECUREMARK_PLUGIN_PATH=" + kBuild + "/test-plugins/pipeline ";

class RunFixture : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/run_" +
           std::string(testing::UnitTest::GetInstance()->current_test_info()->test_suite_name()) +
           "_" + testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  std::string Write(const std::string& name, const std::string& yaml) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(
        WriteFileAtomic(path, "apiVersion: securemark/v1\nname: " + name + "\n" + yaml).ok());
    return path;
  }

  struct Run {
    int exit_code;
    std::vector<json> events;
    std::string stderr_text;
    // state of each finished step (the last one reported)
    std::map<std::string, std::string> states;
  };

  Run RunPipeline(const std::string& file, const std::string& extra = "") {
    const std::string err = dir_ + "/stderr.txt";
    auto r = RunProcess({"/bin/sh", "-c",
                         kEnv + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
                             "/store --json " + extra + " 2>" + err},
                        true);
    EXPECT_TRUE(r.ok());
    return Parse(r->exit_code, r->output, *ReadFile(err));
  }

  static Run Parse(int exit_code, const std::string& out, const std::string& err) {
    Run run{exit_code, {}, err, {}};
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;
      if (j["event"] == "step_finished") run.states[j["step"]] = j["state"];
      run.events.push_back(j);
    }
    return run;
  }

  std::unique_ptr<store::Store> Store() {
    return std::move(store::Store::Open(dir_ + "/store", false)).value();
  }

  int64_t Count(const std::string& sql) {
    auto s = Store();
    auto stmt = s->db().Prepare(sql);
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(*stmt->Step());
    return stmt->Int(0);
  }

  std::string dir_;
};

}  // namespace securemark
