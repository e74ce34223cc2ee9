// calibration.null_models: the detectors' decision threshold, measured instead of assumed.
// The vendor extracts from null models (copies without the fingerprint, or carrying other
// customers' fingerprints, ideally put through the attacks a customer might try) and
// pools the evidence of every customer known not to be in each of them. The detectors
// turn that distribution into p-values and accuse only below the stated level.
#include <set>

#include <nlohmann/json.hpp>

#include "detector/calibration_json.h"
#include "detector/detector_node.h"

namespace securemark {
namespace {

using detector::kBasis;
using detector::kCodebook;
using detector::kCommunityBits;

class NullModelCalibration : public Node {
 public:
  static constexpr Input<TensorMap> kNulls{
      "extracted", "Extractions from null models (extractor.projection outputs).", kMany};
  static constexpr Input<JsonDocument> kCoalitions{
      "coalitions", "attacker.collude coalitions behind the null models, in the same order.",
      kMany | kOptional};
  static constexpr Output<JsonDocument> kCalibration{
      "calibration", "Null evidence scores, the stated level and the threshold it implies."};
  static constexpr Param<std::vector<int64_t>> kContributors{
      "contributors", "[]",
      "Customer whose fingerprint each null model carries, -1 for none (empty: none, unless "
      "'coalitions' is connected)."};
  static constexpr Param<std::vector<int64_t>> kCustomers{
      "customers", "[]", "Customer behind each coalition member index (empty: index = customer)."};
  static constexpr Param<double> kFalseAccusation{
      "false_accusation", 0.01, "Probability that an investigation accuses any innocent.",
      Range{1e-12, 0.5}};

  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Calibrates accusations on null models to a false-accusation "
                           "probability.",
                           kCodebook, kBasis, kNulls, kCoalitions, kCalibration, kContributors,
                           kCustomers, kCommunityBits, kFalseAccusation);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    std::optional<TensorMap> basis;
    if (ctx.Has(kBasis)) {
      SM_ASSIGN_OR_RETURN(TensorMap b, ctx.Get(kBasis));
      basis = std::move(b);
    }
    SM_ASSIGN_OR_RETURN(std::vector<TensorMap> nulls, ctx.GetAll(kNulls));
    SM_ASSIGN_OR_RETURN(std::vector<std::set<int64_t>> contributors,
                        Contributors(ctx, nulls.size()));
    std::vector<double> scores;
    for (size_t m = 0; m < nulls.size(); ++m) {
      const std::string where = "input 'extracted'[" + std::to_string(m) + "]";
      StatusOr<std::vector<double>> y = detector::CorrelationsOf(
          nulls[m], basis ? &*basis : nullptr, ctx.Get(kCommunityBits), codebook);
      if (!y.ok()) return y.status().WithContext(where);
      StatusOr<std::vector<double>> evidence = codes::Evidence(codebook, *y);
      if (!evidence.ok()) return evidence.status().WithContext(where);
      for (int64_t u = 0; u < codebook.users(); ++u)
        if (!contributors[m].count(u)) scores.push_back((*evidence)[u]);
    }
    SM_ASSIGN_OR_RETURN(codes::NullCalibration null,
                        codes::FitNull(std::move(scores), static_cast<int64_t>(nulls.size())));
    const detector::Calibration calibration =
        detector::MakeCalibration(std::move(null), ctx.Get(kFalseAccusation), codebook.users());
    ctx.Info("calibrated on " + std::to_string(nulls.size()) + " null models (" +
             std::to_string(calibration.null.scores.size()) + " innocent scores, mean " +
             std::to_string(calibration.null.mean) + ", sd " + std::to_string(calibration.null.sd) +
             "): accuse above evidence " + std::to_string(calibration.threshold));
    return ctx.Set(kCalibration,
                   JsonDocument(detector::CalibrationToJson(calibration, codebook).dump()));
  }

 private:
  // The customers known to be in each null model.
  static StatusOr<std::vector<std::set<int64_t>>> Contributors(Context& ctx, size_t models) {
    std::vector<std::set<int64_t>> in(models);
    const std::vector<int64_t> listed = ctx.Get(kContributors);
    if (!listed.empty() && ctx.Has(kCoalitions)) {
      return InvalidArgumentError("give either parameter 'contributors' or input 'coalitions'");
    }
    if (!listed.empty()) {
      if (listed.size() != models) {
        return InvalidArgumentError("parameter 'contributors' has " +
                                    std::to_string(listed.size()) + " entries for " +
                                    std::to_string(models) + " null models");
      }
      for (size_t m = 0; m < models; ++m)
        if (listed[m] >= 0) in[m].insert(listed[m]);
      return in;
    }
    if (!ctx.Has(kCoalitions)) return in;
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> coalitions, ctx.GetAll(kCoalitions));
    if (coalitions.size() != models) {
      return InvalidArgumentError(std::to_string(coalitions.size()) + " coalitions for " +
                                  std::to_string(models) + " null models");
    }
    const std::vector<int64_t> customers = ctx.Get(kCustomers);
    for (size_t m = 0; m < models; ++m) {
      const nlohmann::json c = nlohmann::json::parse(coalitions[m].text(), nullptr, false);
      if (!c.is_object() || !c.contains("members") || !c["members"].is_array()) {
        return InvalidArgumentError("input 'coalitions'[" + std::to_string(m) +
                                    "] is not an attacker.collude output");
      }
      for (const auto& member : c["members"]) {
        const int64_t i = member.get<int64_t>();
        if (!customers.empty() && (i < 0 || i >= static_cast<int64_t>(customers.size()))) {
          return InvalidArgumentError("coalition member " + std::to_string(i) +
                                      " has no entry in parameter 'customers'");
        }
        in[m].insert(customers.empty() ? i : customers[i]);
      }
    }
    return in;
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::NullModelCalibration, calibration, null_models)
