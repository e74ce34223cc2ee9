// evaluate.collusion: Monte Carlo tracing under averaging collusion for K = k_min..k_max
// (or the listed k_values): detection rate, false-alarm rate and exact-set rate with 95%
// Wilson intervals, as JSON and CSV.
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "codes/collusion.h"
#include "rate_json.h"
#include "securemark/node.h"

namespace securemark {
namespace {

using evaluate::RateJson;

class CollusionEvaluation : public Node {
 public:
  static constexpr Input<codes::Codebook> kCodebook{"codebook", "The codebook to attack."};
  static constexpr Output<JsonDocument> kReport{"report",
                                                "Rates per coalition size with 95% intervals."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};
  static constexpr Param<int64_t> kMin{"k_min", 1, "Smallest coalition.", Range{1, 100000}};
  static constexpr Param<int64_t> kMax{"k_max", 5, "Largest coalition.", Range{1, 100000}};
  static constexpr Param<std::vector<int64_t>> kValues{"k_values", "[]",
                                                       "Coalition sizes (overrides the range)."};
  static constexpr Param<int64_t> kTrials{"trials", 10000, "Random coalitions per size.",
                                          Range{1, 100000000}};
  static constexpr Param<bool> kNoise{"noise", false, "Add white Gaussian noise at snr_db."};
  static constexpr Param<double> kSnr{"snr_db", 20, "Signal-to-noise ratio of the extraction, dB.",
                                      Range{-60, 200}};
  static constexpr Param<bool> kScale{"random_scale", true,
                                      "Rescale each extraction by a random factor."};
  static constexpr Param<std::string> kDetector{
      "detector", "hard_threshold", "Detector to run.",
      Choices{"hard_threshold|adaptive_sorting|sequential|tardos"}};
  static constexpr Param<double> kTau{"tau", 0.85, "Hard-threshold level.", Range{0.01, 0.999}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Random seed.", Range{0, 9.2e18}};
  static constexpr Param<std::string> kLabel{"label", "", "Name of this evaluation in reports."};

  static Contract GetContract() {
    return Contract::Build(
        "1.0.0", "Detection and false-alarm rates under averaging collusion (Monte Carlo).",
        kCodebook, kReport, kTable, kMin, kMax, kValues, kTrials, kNoise, kSnr, kScale, kDetector,
        kTau, kSeed, kLabel);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    std::vector<int64_t> sizes = ctx.Get(kValues);
    if (sizes.empty()) {
      for (int64_t k = ctx.Get(kMin); k <= ctx.Get(kMax); ++k) sizes.push_back(k);
    }
    codes::CollusionOptions o;
    o.trials = ctx.Get(kTrials);
    o.snr_db = ctx.Get(kNoise) ? ctx.Get(kSnr) : INFINITY;
    o.random_scale = ctx.Get(kScale);
    o.detector = ctx.Get(kDetector);
    o.tau = ctx.Get(kTau);
    nlohmann::json rows = nlohmann::json::array();
    std::ostringstream csv;
    csv << "label,codebook,users,length,detector,k,trials,detection,detection_low,detection_high,"
           "false_alarm,"
           "false_alarm_low,false_alarm_high,exact,exact_low,exact_high,mean_accused\n";
    const std::string label = ctx.Get(kLabel).empty() ? codebook.name() : ctx.Get(kLabel);
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (ctx.Cancelled()) return CancelledError("evaluation cancelled");
      o.k_min = o.k_max = sizes[i];
      o.seed = static_cast<uint64_t>(ctx.Get(kSeed)) * 1000003 + sizes[i];
      SM_ASSIGN_OR_RETURN(std::vector<codes::CollusionResult> r,
                          codes::EvaluateCollusion(codebook, o));
      const codes::CollusionResult& row = r.front();
      rows.push_back({{"k", row.k},
                      {"trials", row.trials},
                      {"detection", RateJson(row.detection)},
                      {"false_alarm", RateJson(row.false_alarm)},
                      {"exact", RateJson(row.exact)},
                      {"mean_accused", row.mean_accused}});
      csv << '"' << label << "\",\"" << codebook.name() << "\"," << codebook.users() << ','
          << codebook.length() << ',' << o.detector << ',' << row.k << ',' << row.trials << ','
          << row.detection.value << ',' << row.detection.low << ',' << row.detection.high << ','
          << row.false_alarm.value << ',' << row.false_alarm.low << ',' << row.false_alarm.high
          << ',' << row.exact.value << ',' << row.exact.low << ',' << row.exact.high << ','
          << row.mean_accused << '\n';
      ctx.Info("K=" + std::to_string(row.k) + ": detection " + std::to_string(row.detection.value) +
               ", false alarm " + std::to_string(row.false_alarm.value) + ", exact " +
               std::to_string(row.exact.value));
      ctx.Progress(static_cast<double>(i + 1), static_cast<double>(sizes.size()), "coalition size");
    }
    nlohmann::json report = {
        {"label", label},
        {"codebook", codebook.name()},
        {"users", codebook.users()},
        {"length", codebook.length()},
        {"resilience", codebook.resilience()},
        {"detector", o.detector},
        {"noise_snr_db", ctx.Get(kNoise) ? nlohmann::json(ctx.Get(kSnr)) : nlohmann::json(nullptr)},
        {"random_scale", o.random_scale},
        {"rows", rows}};
    SM_RETURN_IF_ERROR(ctx.Set(kReport, JsonDocument(report.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CollusionEvaluation, evaluate, collusion)
