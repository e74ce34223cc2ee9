// Plugins for pipeline and runner tests: fan-in, slow work, and failures on demand.
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "securemark/node.h"

namespace {

using namespace securemark;

// Loading this library can be made slow, as loading LibTorch is on a busy machine: with
// SECUREMARK_TESTING_LOAD_DELAY_MS set, its static initialisation sleeps that long.
[[maybe_unused]] const bool kSlowToLoad = [] {
  if (const char* ms = std::getenv("SECUREMARK_TESTING_LOAD_DELAY_MS"))
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(ms)));
  return true;
}();

// testing.gather: joins its fan-in inputs into one JSON array.
class Gather : public Node {
 public:
  static constexpr Input<JsonDocument> kParts{"parts", "Documents to join.", kMany};
  static constexpr Output<JsonDocument> kAll{"all", "A JSON array of the parts, in order."};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Joins JSON documents into an array (test fixture).", kParts,
                           kAll);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> parts, ctx.GetAll(kParts));
    std::string out = "[";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i].text();
    return ctx.Set(kAll, JsonDocument(out + "]"));
  }
};

// testing.copy: a required input, passed through.
class Copy : public Node {
 public:
  static constexpr Input<JsonDocument> kIn{"in", "Any JSON document."};
  static constexpr Output<JsonDocument> kOut{"out", "The input."};
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Copies its required input (test fixture).", kIn, kOut);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(JsonDocument in, ctx.Get(kIn));
    return ctx.Set(kOut, in);
  }
};

// testing.work: sleeps (reporting progress, honouring cancellation), optionally records its
// pid, fails a given number of times (counted in a file), then emits {"value": value}.
class Work : public Node {
 public:
  static constexpr Input<JsonDocument> kAfter{"after", "Ignored; orders work.", kOptional};
  static constexpr Output<JsonDocument> kOut{"out", "{\"value\": value}."};
  static constexpr Param<int64_t> kValue{"value", 0, "Value to emit."};
  static constexpr Param<double> kSeconds{"seconds", 0, "How long to work.", Range{0, 3600}};
  static constexpr Param<std::string> kPidFile{"pid_file", "", "Write the host pid here first."};
  static constexpr Param<std::string> kCounterFile{"counter_file", "", "Counts attempts."};
  static constexpr Param<int64_t> kFailTimes{"fail_times", 0, "Fail this many attempts.",
                                             Range{0, 100}};
  static constexpr Param<std::string> kSecretText{"secret_output", "",
                                                  "Also set this text as a secret output."};
  static constexpr Output<Blob> kKey{"key", "A secret (when secret_output is set).",
                                     kSecret | kOptional};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Works for a while, failing on demand (test fixture).", kAfter,
                           kOut, kKey, kValue, kSeconds, kPidFile, kCounterFile, kFailTimes,
                           kSecretText);
  }
  Status Process(Context& ctx) override {
    if (!ctx.Get(kPidFile).empty()) {
      std::ofstream(ctx.Get(kPidFile) + ".tmp") << getpid() << "\n";
      std::rename((ctx.Get(kPidFile) + ".tmp").c_str(), ctx.Get(kPidFile).c_str());
    }
    if (!ctx.Get(kCounterFile).empty()) {
      int attempts = 0;
      std::ifstream(ctx.Get(kCounterFile)) >> attempts;
      std::ofstream(ctx.Get(kCounterFile)) << attempts + 1;
      if (attempts < ctx.Get(kFailTimes)) {
        return UnavailableError("deliberate failure on attempt " + std::to_string(attempts + 1));
      }
    }
    const double seconds = ctx.Get(kSeconds);
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (elapsed >= seconds) break;
      if (ctx.Cancelled()) return CancelledError("work cancelled");
      ctx.Progress(elapsed, seconds, "s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!ctx.Get(kSecretText).empty())
      SM_RETURN_IF_ERROR(ctx.Set(kKey, Blob(ctx.Get(kSecretText))));
    return ctx.Set(kOut, JsonDocument("{\"value\":" + std::to_string(ctx.Get(kValue)) + "}"));
  }
};

}  // namespace

SECUREMARK_PLUGIN(Gather, testing, gather)
SECUREMARK_PLUGIN(Copy, testing, copy)
SECUREMARK_PLUGIN(Work, testing, work)
