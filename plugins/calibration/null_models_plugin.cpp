// calibration.null_models: stage 2's exact test checked on models whose contributors are
// known. The vendor extracts from null models (copies without the fingerprint, or
// carrying other customers' fingerprints, ideally put through the attacks a customer
// might try) and pools the t-statistics of every customer known not to be in each of
// them (codes/identification.h). Detectors report each accused customer's empirical
// p-value among them and accuse nobody on a score an innocent reached.
#include <set>

#include <nlohmann/json.hpp>

#include "codes/calibration_json.h"
#include "codes/detection_inputs.h"

namespace securemark {
namespace {

using codes::kBasis;
using codes::kCodebook;
using codes::kCommunityBits;

class NullModelCalibration : public Node {
 public:
  static constexpr Input<domain::Extraction> kNulls{
      "extracted", "Extractions from null models (extractor.projection outputs).", kMany};
  static constexpr Input<domain::Coalition> kCoalitions{
      "coalitions", "attacker.collude coalitions behind the null models, in the same order.",
      kMany | kOptional};
  static constexpr Output<domain::Calibration> kCalibration{
      "calibration", "Innocents' t-statistics on the null models and the stated level."};
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
    return Contract::Build("2.0.1",
                           "Checks stage 2's test on null models: innocents' t-statistics at a "
                           "stated false-accusation probability.",
                           kCodebook, kBasis, kNulls, kCoalitions, kCalibration, kContributors,
                           kCustomers, kCommunityBits, kFalseAccusation);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    std::optional<TensorMap> basis;
    if (ctx.Has(kBasis)) {
      SM_ASSIGN_OR_RETURN(domain::Basis b, ctx.Get(kBasis));
      basis = std::move(b);
    }
    SM_ASSIGN_OR_RETURN(std::vector<domain::Extraction> nulls, ctx.GetAll(kNulls));
    SM_ASSIGN_OR_RETURN(std::vector<std::set<int64_t>> contributors,
                        Contributors(ctx, nulls.size()));
    std::vector<double> scores;
    for (size_t m = 0; m < nulls.size(); ++m) {
      const std::string where = "input 'extracted'[" + std::to_string(m) + "]";
      StatusOr<std::vector<double>> innocents = InnocentScores(
          nulls[m], basis ? &*basis : nullptr, ctx.Get(kCommunityBits), codebook, contributors[m]);
      if (!innocents.ok()) return innocents.status().WithContext(where);
      scores.insert(scores.end(), innocents->begin(), innocents->end());
    }
    SM_ASSIGN_OR_RETURN(codes::NullCalibration null,
                        codes::FitNull(std::move(scores), static_cast<int64_t>(nulls.size())));
    const codes::Calibration calibration =
        codes::MakeCalibration(std::move(null), ctx.Get(kFalseAccusation), codebook.users());
    ctx.Info("calibrated on " + std::to_string(nulls.size()) + " null models (" +
             std::to_string(calibration.null.scores.size()) + " innocent scores, mean t " +
             std::to_string(calibration.null.mean) + ", largest " +
             std::to_string(calibration.null.scores.back()) + ")");
    return ctx.Set(
        kCalibration,
        domain::Calibration(JsonDocument(codes::CalibrationToJson(calibration, codebook).dump())));
  }

 private:
  // Stage 2's t-statistic of every customer not in the model, tested beside those who are.
  static StatusOr<std::vector<double>> InnocentScores(const TensorMap& extracted,
                                                      const TensorMap* basis, int64_t skip,
                                                      const codes::Codebook& codebook,
                                                      const std::set<int64_t>& contributors) {
    SM_ASSIGN_OR_RETURN(codes::Extraction extraction,
                        codes::ExtractionFrom(extracted, basis, skip, codebook));
    SM_ASSIGN_OR_RETURN(codes::CodeFrame frame, codes::CodeFrame::Of(codebook, extraction));
    return frame.InnocentScores({contributors.begin(), contributors.end()});
  }

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
    SM_ASSIGN_OR_RETURN(std::vector<domain::Coalition> coalitions, ctx.GetAll(kCoalitions));
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
