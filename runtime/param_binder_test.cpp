#include "param_binder.h"

#include <gtest/gtest.h>

namespace securemark {
namespace {

struct Shards {
  static constexpr Param<int64_t> kCount{"count", 4, "Shards.", Range{1, 100}};
  static constexpr Param<std::vector<int64_t>> kLayers{"layers", "[1, 2, 3]", "Layers."};
  static constexpr Param<std::string> kPath = Param<std::string>::Required("path", "A path.");
  static Contract Get() {
    Contract c = Contract::Build("1.0.0", "Splits data.", kCount, kLayers, kPath);
    c.set_name("dataset.shards");
    return c;
  }
};

// Text as typed, JSON as a pipeline or the orchestrator sends it: the same values.
TEST(ParamBinderTest, TextAndJsonBindTheSameValuesAndDefaultsFillTheRest) {
  const Contract c = Shards::Get();
  ParamBinder typed(c), sent(c);
  typed.BindText("count", "7");
  typed.BindText("path", "/x");
  sent.BindJsonObject(R"({"count": 7, "path": "/x"})");
  StatusOr<ParamMap> a = typed.Finish(), b = sent.Finish();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(std::get<int64_t>(a->at("count")), 7);
  EXPECT_EQ(std::get<std::vector<int64_t>>(a->at("layers")), (std::vector<int64_t>{1, 2, 3}));
}

// Every problem at once, each with the source it came from; the contract's own (a required
// parameter left unset) with none.
TEST(ParamBinderTest, EveryProblemIsKeptWithItsSource) {
  const Contract c = Shards::Get();
  ParamBinder binder(c);
  binder.BindJson("cuont", "3", 0);
  binder.BindJson("count", "1000", 1);
  binder.BindJson("layers", "[1, 2]", 2);
  StatusOr<ParamMap> r = binder.Finish();
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(binder.problems().size(), 3u) << r.status();
  EXPECT_EQ(binder.problems()[0].source, 0u);
  EXPECT_NE(binder.problems()[0].message.find(
                "unknown parameter 'cuont' for dataset.shards; did you mean 'count'?"),
            std::string::npos)
      << binder.problems()[0].message;
  EXPECT_EQ(binder.problems()[1].source, 1u);
  EXPECT_NE(binder.problems()[1].message.find("'count' = 1000"), std::string::npos)
      << binder.problems()[1].message;
  EXPECT_EQ(binder.problems()[2].source, ParamBinder::kNoSource);
  EXPECT_NE(binder.problems()[2].message.find("required parameter 'path' is not set"),
            std::string::npos);
  ParamBinder not_an_object(c);
  not_an_object.BindJsonObject("[1, 2]", 5);
  EXPECT_FALSE(not_an_object.Finish().ok());
  EXPECT_EQ(not_an_object.problems()[0].source, 5u);
}

}  // namespace
}  // namespace securemark
