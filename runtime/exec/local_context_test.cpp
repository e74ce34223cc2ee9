#include "exec/local_context.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "securemark/values.h"

namespace securemark {
namespace {

class LocalContextTest : public testing::Test {
 protected:
  void SetUp() override {
    catalog_ = PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/test-plugins/good"});
    echo_ = *catalog_.Find("testing.echo");
  }
  PluginCatalog catalog_;
  const LoadedPlugin* echo_ = nullptr;
};

TEST_F(LocalContextTest, RunsAPluginWithDefaultsAndGivenParams) {
  auto out = RunNode(*echo_, {{"count", int64_t{5}}}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].port, "out");
  EXPECT_EQ((*out)[0].value.type, "Json");
  auto j = nlohmann::json::parse((*out)[0].value.bytes);
  EXPECT_EQ(j["count"], 5);
  EXPECT_EQ(j["mode"], "a");
  EXPECT_EQ(j["sizes"], nlohmann::json({1, 2}));
}

TEST_F(LocalContextTest, PassesInputsThrough) {
  InputValues in;
  in["in"].push_back({"Json", "{\"x\":1}", false});
  auto out = RunNode(*echo_, {}, std::move(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].value.bytes, "{\"x\":1}");
}

TEST_F(LocalContextTest, PluginErrorsComeBackAsStatus) {
  auto out = RunNode(*echo_, {{"fail_with", std::string("no good")}}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "no good");
}

TEST_F(LocalContextTest, ExceptionsAreCaughtAtTheBoundary) {
  auto out = RunNode(*echo_, {{"throw_message", std::string("boom")}}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInternal);
  EXPECT_NE(out.status().message().find("boom"), std::string::npos);
}

TEST_F(LocalContextTest, InvalidParamsNeverReachThePlugin) {
  auto out = RunNode(*echo_, {{"count", int64_t{11}}, {"mode", std::string("c")}}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("'count' = 11"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("not one of a, b"), std::string::npos) << out.status();
}

TEST_F(LocalContextTest, InputsAreCheckedAgainstTheContract) {
  InputValues in;
  in["in"].push_back({"Dataset", "x", false});
  in["nope"].push_back({"Json", "{}", false});
  auto out = RunNode(*echo_, {}, std::move(in));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("input 'in' expects Json, got Dataset"), std::string::npos)
      << out.status();
  EXPECT_NE(out.status().message().find("unknown input 'nope'"), std::string::npos);
}

TEST_F(LocalContextTest, CorruptInputIsReportedWithThePort) {
  InputValues in;
  in["in"].push_back({"Json", "{broken", false});
  auto out = RunNode(*echo_, {}, std::move(in));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("input 'in'"), std::string::npos) << out.status();
}

// A list output takes values only through Add and a single one only through Set, so a
// plugin cannot silently overwrite a list or append to a single value.
TEST(OutputKindsTest, ListsTakeAddAndSingleValuesTakeSet) {
  static constexpr Output<JsonDocument> kOne{"one", "A single value."};
  static constexpr auto kList = Output<JsonDocument>::Many("list", "Any number of values.");
  const Contract contract = Contract::Build("1.0.0", "Outputs of both kinds.", kOne, kList);
  LocalContext ctx(contract, {}, {}, {});
  const Status set_list = ctx.Set(kList, JsonDocument("[]"));
  EXPECT_EQ(set_list.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(set_list.message().find("'list' is a list"), std::string::npos) << set_list;
  const Status add_one = ctx.Add(kOne, JsonDocument("{}"));
  EXPECT_EQ(add_one.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(add_one.message().find("'one' holds one value"), std::string::npos) << add_one;
  ASSERT_TRUE(ctx.Add(kList, JsonDocument("1")).ok());
  ASSERT_TRUE(ctx.Add(kList, JsonDocument("2")).ok());
  ASSERT_TRUE(ctx.Set(kOne, JsonDocument("{}")).ok());
  const std::vector<OutputValue> out = ctx.TakeOutputs();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].index, 1u);
}

}  // namespace
}  // namespace securemark
