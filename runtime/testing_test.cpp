// securemark/testing.h runs a node as a host would: defaults and checks on parameters,
// required inputs, list outputs, logs, and exceptions turned into errors.
#include "securemark/testing.h"

#include <gtest/gtest.h>

namespace securemark {
namespace {

class Repeat : public Node {
 public:
  static constexpr Input<JsonDocument> kWord{"word", "What to repeat."};
  static constexpr auto kCopies = Output<JsonDocument>::Many("copies", "The word, `times` times.");
  static constexpr Output<JsonDocument> kCount{"count", "How many copies."};
  static constexpr Param<int64_t> kTimes{"times", 2, "How many.", Range{0, 5}};
  static constexpr Param<std::string> kThrow{"throw_message", "", "Throw this instead."};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Repeats a word (test fixture).", kWord, kCopies, kCount,
                           kTimes, kThrow);
  }
  Status Process(Context& ctx) override {
    if (!ctx.Get(kThrow).empty()) throw std::runtime_error(ctx.Get(kThrow));
    SM_ASSIGN_OR_RETURN(JsonDocument word, ctx.Get(kWord));
    for (int64_t i = 0; i < ctx.Get(kTimes); ++i) SM_RETURN_IF_ERROR(ctx.Add(kCopies, word));
    ctx.Info("repeated " + std::to_string(ctx.Get(kTimes)) + " times");
    return ctx.Set(kCount, JsonDocument(std::to_string(ctx.Get(kTimes))));
  }
};

TEST(NodeTestTest, RunsANodeWithItsDefaultsAndTypedPorts) {
  NodeTest<Repeat> t;
  t.Give(Repeat::kWord, JsonDocument("\"hi\""));
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Count(Repeat::kCopies), 2u);  // the default
  StatusOr<JsonDocument> second = t.Get(Repeat::kCopies, 1);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->text(), "\"hi\"");
  EXPECT_EQ(t.Get(Repeat::kCount)->text(), "2");
  EXPECT_EQ(t.log(), std::vector<std::string>{"repeated 2 times"});
  EXPECT_EQ(t.Get(Repeat::kCopies, 2).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(t.Set(Repeat::kTimes, 4).Run().ok());
  EXPECT_EQ(t.Count(Repeat::kCopies), 4u);
}

TEST(NodeTestTest, RefusesWhatAHostWouldRefuse) {
  NodeTest<Repeat> missing;
  const Status no_word = missing.Run();
  EXPECT_EQ(no_word.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_word.message().find("required input 'word' (Json) is missing"), std::string::npos)
      << no_word;

  NodeTest<Repeat> too_many;
  too_many.Give(Repeat::kWord, JsonDocument("1")).Set(Repeat::kTimes, 9);
  const Status range = too_many.Run();
  EXPECT_EQ(range.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(range.message().find("'times' = 9"), std::string::npos) << range;

  NodeTest<Repeat> throws;
  throws.Give(Repeat::kWord, JsonDocument("1")).Set(Repeat::kThrow, "boom");
  const Status thrown = throws.Run();
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  EXPECT_NE(thrown.message().find("boom"), std::string::npos) << thrown;
}

}  // namespace
}  // namespace securemark
