#include "pipeline/secret_params.h"

#include <gtest/gtest.h>

namespace securemark::pipeline {
namespace {

Contract Keyed() {
  static constexpr auto kSeed =
      Param<int64_t>::FreshSecret("seed", 0, "Explicit seed.", Range{0, 1e9});
  static constexpr auto kKeySeed =
      Param<int64_t>::Secret("key_seed", 0, "Explicit key seed.", Range{0, 1e9});
  static constexpr Param<int64_t> kUsers{"users", 31, "Customers.", Range{1, 1e6}};
  return Contract::Build("1.0.0", "A plugin that draws a secret.", kSeed, kKeySeed, kUsers);
}

TEST(SecretParamsTest, AnExplicitSeedIsNeverShownAndTellsCachesApart) {
  const Contract c = Keyed();
  EXPECT_TRUE(c.FindParam("seed")->secret);
  EXPECT_FALSE(c.FindParam("users")->secret);
  // The flag survives the trip through the plugin ABI's JSON.
  EXPECT_TRUE(Contract::FromJson(c.ToJson())->FindParam("seed")->secret);

  const ParamRecord given = RecordParams(c, *c.ResolveParams({{"seed", int64_t{1234567}}}));
  EXPECT_EQ(given.shown_json.find("1234567"), std::string::npos) << given.shown_json;
  EXPECT_EQ(nlohmann::json::parse(given.shown_json)["seed"], kSecretShown);
  EXPECT_EQ(nlohmann::json::parse(given.shown_json)["users"], 31);
  EXPECT_NE(given.secret_json.find("1234567"), std::string::npos);
  EXPECT_FALSE(given.fresh_secrets);
  EXPECT_NE(RecordParams(c, *c.ResolveParams({{"seed", int64_t{7}}})).secret_json,
            given.secret_json);
}

TEST(SecretParamsTest, ASeedLeftAtItsDefaultDrawsFreshSecrets) {
  const Contract c = Keyed();
  const ParamRecord fresh = RecordParams(c, *c.ResolveParams({}));
  EXPECT_TRUE(fresh.fresh_secrets);
  EXPECT_TRUE(fresh.secret_json.empty());
  EXPECT_EQ(nlohmann::json::parse(fresh.shown_json)["seed"], 0);
  EXPECT_TRUE(Contract::FromJson(c.ToJson())->FindParam("seed")->fresh_by_default);
  // A secret whose default derives from an input (a key from the basis) is not fresh.
  const ParamRecord derived = RecordParams(c, *c.ResolveParams({{"seed", int64_t{3}}}));
  EXPECT_FALSE(derived.fresh_secrets);
  EXPECT_FALSE(Contract::FromJson(c.ToJson())->FindParam("key_seed")->fresh_by_default);
}

TEST(SecretParamsTest, PipelineParamsThatFeedASecretAreRedacted) {
  const Contract c = Keyed();
  std::map<std::string, Value> with = {{"seed", {nlohmann::json("${{ params.key_seed }}"), {}}},
                                       {"users", {nlohmann::json("${{ params.users }}"), {}}}};
  std::set<std::string> secret;
  CollectSecretPipelineParams(c, with, std::nullopt, secret);
  EXPECT_EQ(secret, (std::set<std::string>{"key_seed"}));

  std::map<std::string, Value> from_items = {{"seed", {nlohmann::json("${{ item.seed }}"), {}}}};
  CollectSecretPipelineParams(c, from_items, Value{nlohmann::json("${{ params.trials }}"), {}},
                              secret);
  EXPECT_EQ(secret, (std::set<std::string>{"key_seed", "trials"}));

  const nlohmann::json shown =
      RedactParams({{"key_seed", 99}, {"users", 31}, {"trials", {1, 2}}}, secret);
  EXPECT_EQ(shown["key_seed"], kSecretShown);
  EXPECT_EQ(shown["trials"], kSecretShown);
  EXPECT_EQ(shown["users"], 31);
}

}  // namespace
}  // namespace securemark::pipeline
