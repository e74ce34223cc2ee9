// testing.echo: copies its input to its output; parameters exercise every type, and
// `fail_with` / `throw_message` make it fail in the two ways a plugin can.
#include <stdexcept>

#include "securemark/node.h"

namespace {

using namespace securemark;

class Echo : public Node {
 public:
  static constexpr Input<JsonDocument> kIn{"in", "Any JSON document.", kOptional};
  static constexpr Output<JsonDocument> kOut{"out", "The input, or the parameters as JSON."};
  static constexpr Param<int64_t> kCount{"count", 3, "A bounded integer.", Range{1, 10}};
  static constexpr Param<double> kRate{"rate", 0.5, "A bounded float.", Range{0, 1}};
  static constexpr Param<bool> kFlag{"flag", false, "A flag."};
  static constexpr Param<std::string> kMode{"mode", "a", "One of a, b.", Choices{"a|b"}};
  static constexpr Param<std::vector<int64_t>> kSizes{"sizes", "[1, 2]", "A list."};
  static constexpr Param<std::string> kFailWith{"fail_with", "", "Return this error."};
  static constexpr Param<std::string> kThrow{"throw_message", "", "Throw this."};

  static Contract GetContract() {
    return Contract::Build("1.2.3", "Echoes its input (test fixture).", kIn, kOut, kCount, kRate,
                           kFlag, kMode, kSizes, kFailWith, kThrow);
  }

  Status Process(Context& ctx) override {
    if (!ctx.Get(kThrow).empty()) throw std::runtime_error(ctx.Get(kThrow));
    if (!ctx.Get(kFailWith).empty()) return InvalidArgumentError(ctx.Get(kFailWith));
    ctx.Progress(1, 1, "echo");
    if (ctx.Has(kIn)) {
      SM_ASSIGN_OR_RETURN(JsonDocument in, ctx.Get(kIn));
      return ctx.Set(kOut, in);
    }
    std::string sizes;
    for (int64_t s : ctx.Get(kSizes)) sizes += (sizes.empty() ? "" : ",") + std::to_string(s);
    return ctx.Set(kOut,
                   JsonDocument("{\"count\":" + std::to_string(ctx.Get(kCount)) + ",\"mode\":\"" +
                                ctx.Get(kMode) + "\",\"sizes\":[" + sizes + "]}"));
  }
};

}  // namespace

SECUREMARK_PLUGIN(Echo, testing, echo)
