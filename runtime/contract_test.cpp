#include "securemark/contract.h"

#include <gtest/gtest.h>

#include "securemark/values.h"

namespace securemark {
namespace {

struct Example {
  static constexpr Input<Dataset> kData{"data", "Examples."};
  static constexpr Input<JsonDocument> kExtra{"extra", "Optional.", kOptional};
  static constexpr auto kShards = Output<Dataset>::Many("shards", "Shards.");
  static constexpr Output<Blob> kKey{"key", "A key.", kSecret};
  static constexpr Param<int64_t> kCount{"count", 4, "Shards.", Range{1, 100}};
  static constexpr Param<double> kAlpha{"alpha", 0.5, "Concentration.", Range{0.001, 1000}};
  static constexpr Param<bool> kShuffle{"shuffle", true, "Shuffle first."};
  static constexpr Param<std::string> kScheme{"scheme", "iid", "How.", Choices{"iid|dirichlet"}};
  static constexpr Param<std::vector<int64_t>> kLayers{"layers", "[1, 2, 3]", "Layers."};
  static constexpr Param<std::vector<std::string>> kNames{"names", "[]", "Names."};
  static constexpr Param<std::string> kPath = Param<std::string>::Required("path", "A path.");

  static Contract Get() {
    Contract c = Contract::Build("2.0.1", "Splits data.", kData, kExtra, kShards, kKey, kCount,
                                 kAlpha, kShuffle, kScheme, kLayers, kNames, kPath);
    c.set_name("dataset.example");
    return c;
  }
};

TEST(ContractTest, BuildsPortsAndParamsFromConstants) {
  Contract c = Example::Get();
  EXPECT_EQ(c.name(), "dataset.example");
  EXPECT_EQ(c.role(), "dataset");
  EXPECT_EQ(c.version(), "2.0.1");
  ASSERT_EQ(c.inputs().size(), 2u);
  EXPECT_EQ(c.inputs()[0].type, "Dataset");
  EXPECT_TRUE(c.inputs()[1].optional());
  ASSERT_EQ(c.outputs().size(), 2u);
  EXPECT_TRUE(c.outputs()[0].many());
  EXPECT_TRUE(c.outputs()[1].secret());
  ASSERT_EQ(c.params().size(), 7u);
  const ParamSpec* layers = c.FindParam("layers");
  ASSERT_NE(layers, nullptr);
  EXPECT_EQ(std::get<std::vector<int64_t>>(*layers->default_value),
            (std::vector<int64_t>{1, 2, 3}));
  EXPECT_FALSE(c.FindParam("path")->default_value.has_value());
  EXPECT_EQ(c.FindParam("scheme")->choices, (std::vector<std::string>{"iid", "dirichlet"}));
}

TEST(ContractTest, ResolveFillsDefaultsAndWidensInts) {
  ParamMap given{{"path", std::string("/x")}, {"alpha", int64_t{2}}};
  StatusOr<ParamMap> r = Example::Get().ResolveParams(given);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<int64_t>(r->at("count")), 4);
  EXPECT_DOUBLE_EQ(std::get<double>(r->at("alpha")), 2.0);
  EXPECT_EQ(std::get<std::string>(r->at("path")), "/x");
}

TEST(ContractTest, WrongTypeIsRejected) {
  ParamMap given{{"path", std::string("/x")}, {"count", std::string("four")}};
  StatusOr<ParamMap> r = Example::Get().ResolveParams(given);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'count'"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("expected int"), std::string::npos) << r.status();
}

TEST(ContractTest, FractionalFloatForIntIsRejectedButIntegralIsAccepted) {
  Contract c = Example::Get();
  EXPECT_FALSE(c.ResolveParams({{"path", std::string("p")}, {"count", 2.5}}).ok());
  auto ok = c.ResolveParams({{"path", std::string("p")}, {"count", 2.0}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(std::get<int64_t>(ok->at("count")), 2);
}

TEST(ContractTest, OutOfRangeNamesTheBounds) {
  StatusOr<ParamMap> r =
      Example::Get().ResolveParams({{"path", std::string("p")}, {"count", int64_t{101}}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'count' = 101 is outside [1, 100]"), std::string::npos)
      << r.status();
}

TEST(ContractTest, ChoiceOutsideTheListIsRejected) {
  StatusOr<ParamMap> r =
      Example::Get().ResolveParams({{"path", std::string("p")}, {"scheme", std::string("zipf")}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not one of iid, dirichlet"), std::string::npos)
      << r.status();
}

TEST(ContractTest, UnknownNameSuggestsTheClosest) {
  StatusOr<ParamMap> r =
      Example::Get().ResolveParams({{"path", std::string("p")}, {"cuont", int64_t{3}}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown parameter 'cuont'; did you mean 'count'?"),
            std::string::npos)
      << r.status();
}

TEST(ContractTest, MissingRequiredAndSeveralErrorsReportedAtOnce) {
  StatusOr<ParamMap> r = Example::Get().ResolveParams(
      {{"count", int64_t{0}}, {"shuffle", std::string("yes")}, {"bogus", int64_t{1}}});
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("'count' = 0"), std::string::npos) << m;
  EXPECT_NE(m.find("'shuffle'"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown parameter 'bogus'"), std::string::npos) << m;
  EXPECT_NE(m.find("required parameter 'path' is not set"), std::string::npos) << m;
}

TEST(ContractTest, ParamsFromJsonConvertsResolvesAndReportsEverything) {
  Contract c = Example::Get();
  StatusOr<ParamMap> ok = c.ParamsFromJson(R"({"path": "/x", "alpha": 2, "layers": [4, 5]})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_DOUBLE_EQ(std::get<double>(ok->at("alpha")), 2.0);
  EXPECT_EQ(std::get<std::vector<int64_t>>(ok->at("layers")), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(std::get<int64_t>(ok->at("count")), 4);
  StatusOr<ParamMap> bad = c.ParamsFromJson(R"({"path": "/x", "count": "four", "cuont": 1})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'count': expected int"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("did you mean 'count'"), std::string::npos) << bad.status();
  EXPECT_FALSE(c.ParamsFromJson("[1, 2]").ok());
}

TEST(ContractTest, ParseReadsCommandLineText) {
  Contract c = Example::Get();
  EXPECT_EQ(std::get<int64_t>(*c.FindParam("count")->Parse("7")), 7);
  EXPECT_DOUBLE_EQ(std::get<double>(*c.FindParam("alpha")->Parse("0.25")), 0.25);
  EXPECT_EQ(std::get<bool>(*c.FindParam("shuffle")->Parse("false")), false);
  EXPECT_EQ(std::get<std::string>(*c.FindParam("scheme")->Parse("dirichlet")), "dirichlet");
  EXPECT_EQ(std::get<std::vector<int64_t>>(*c.FindParam("layers")->Parse("4,5")),
            (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(std::get<std::vector<std::string>>(*c.FindParam("names")->Parse("a,b")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(c.FindParam("count")->Parse("seven").ok());
  EXPECT_FALSE(c.FindParam("count")->Parse("1000").ok());
  EXPECT_FALSE(c.FindParam("shuffle")->Parse("1").ok());
}

TEST(ContractTest, JsonRoundTripKeepsEverything) {
  Contract c = Example::Get();
  StatusOr<Contract> back = Contract::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), c.ToJson());
  EXPECT_EQ(back->FindParam("alpha")->range->min, 0.001);
  EXPECT_FALSE(Contract::FromJson("{\"name\": 1}").ok());
  EXPECT_FALSE(Contract::FromJson("not json").ok());
}

TEST(ContractTest, ClosestNamesRanksByDistance) {
  std::vector<std::string> known = {"dataset.idx", "dataset.partition", "cic.bibd"};
  EXPECT_EQ(ClosestNames("dataset.idk", known)[0], "dataset.idx");
  EXPECT_EQ(ClosestNames("partition", known)[0], "dataset.partition");
  EXPECT_TRUE(ClosestNames("zzzzzzzzzzzz", known).empty());
}

}  // namespace
}  // namespace securemark
