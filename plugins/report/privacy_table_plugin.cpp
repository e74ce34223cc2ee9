// report.privacy_table: the structure of SecureMark-DL's Tables I-II — for each defence
// setup (none, one defender, several), the model's accuracy and, for each inversion
// attack, how well the attacker reconstructed the owners' images.
//
// A low SSIM from a model that learned nothing is not privacy. So every row carries the
// accuracy the setup's owners get (through their defenders), each setup is compared with
// its undefended baseline, and a setup whose accuracy fell by more than
// `max_accuracy_drop` is marked "accuracy lost" and is not credited with protection
// however low its SSIM.
#include <algorithm>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "privacy_figures.h"
#include "securemark/node.h"

namespace securemark {
namespace {

using nlohmann::json;

// "Attack3", "Attack3 x4" (averaging 4 observations), "Attack3+rMLE" (white-box refined).
std::string AttackLabel(const json& r) {
  std::string label = "Attack" + std::to_string(r["attack"].get<int64_t>());
  if (r.value("refine_steps", 0) > 0) label += "+rMLE";
  if (r.value("observations", 1) > 1) label += " x" + std::to_string(r["observations"].get<int>());
  return label;
}

struct SetupSummary {
  double accuracy = 0, model_accuracy = 0, best_ssim = 0, best_reprint = 0;
  std::string best_attack;
  size_t best_index = 0;
};

class PrivacyTable : public Node {
 public:
  static constexpr Input<JsonDocument> kTrainings{
      "trainings", "server_trainer reports, one per setup, in the order of 'setups'.", kMany};
  static constexpr Input<JsonDocument> kAttacks{
      "attacks", "attacker.inversion reports: each setup's attacks in turn.", kMany};
  static constexpr Input<Blob> kGrids{
      "grids", "attacker.inversion grids, one per attack in the same order (optional).",
      kMany | kOptional};
  static constexpr Output<JsonDocument> kSummary{
      "summary", "{rows: one per attack, setups: one per setup with its verdict}."};
  static constexpr Output<Blob> kTable{"table", "The rows as CSV."};
  static constexpr Output<Blob> kCurve{"curve",
                                       "SVG: accuracy against best-attack SSIM, one per setup."};
  static constexpr Output<Blob> kReconstructions{
      "reconstructions", "PNG: originals, then each setup's best reconstructions (with 'grids').",
      kOptional};
  static constexpr Param<std::vector<std::string>> kSetups{
      "setups", R"(["no defender", "single defender", "multiple defenders"])",
      "Names of the setups, one per training report."};
  static constexpr Param<std::vector<std::string>> kBaselines{
      "baselines", "[]",
      "Per setup, the name of its undefended setup (empty: it is one). "
      "Empty list: the first setup is everyone's baseline."};
  static constexpr Param<double> kMaxAccuracyDrop{
      "max_accuracy_drop", 0.025,
      "Accuracy a defence may cost against its baseline before its privacy is not credited.",
      Range{0, 1}};

  static Contract GetContract() {
    return Contract::Build("2.0.0",
                           "Accuracy beside inversion scores per defence setup and attack, "
                           "with verdicts, the trade-off curve and the reconstructions.",
                           kTrainings, kAttacks, kGrids, kSummary, kTable, kCurve, kReconstructions,
                           kSetups, kBaselines, kMaxAccuracyDrop);
  }

  Status Process(Context& ctx) override {
    const std::vector<std::string> setups = ctx.Get(kSetups);
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> trainings, ctx.GetAll(kTrainings));
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> attacks, ctx.GetAll(kAttacks));
    if (trainings.size() != setups.size() || setups.empty() ||
        attacks.size() % setups.size() != 0 || attacks.empty()) {
      return InvalidArgumentError(
          std::to_string(setups.size()) + " setups need as many 'trainings' (got " +
          std::to_string(trainings.size()) + ") and a multiple of that many 'attacks' (got " +
          std::to_string(attacks.size()) + ")");
    }
    SM_ASSIGN_OR_RETURN(std::vector<size_t> baseline, Baselines(ctx, setups));
    const size_t per_setup = attacks.size() / setups.size();
    json rows = json::array();
    std::vector<SetupSummary> summaries(setups.size());
    for (size_t s = 0; s < setups.size(); ++s) {
      const json training = json::parse(trainings[s].text(), nullptr, false);
      if (!training.is_object() || !training.contains("test_accuracy") ||
          !training["test_accuracy"].is_number())
        return InvalidArgumentError("input 'trainings[" + std::to_string(s) +
                                    "]' is not a server_trainer report with test_accuracy");
      SetupSummary& summary = summaries[s];
      summary.model_accuracy = training["test_accuracy"].get<double>();
      summary.best_ssim = -1;
      double accuracy_sum = 0;
      for (size_t a = 0; a < per_setup; ++a) {
        const size_t i = s * per_setup + a;
        const json r = json::parse(attacks[i].text(), nullptr, false);
        for (const char* field : {"attack", "mse", "ssim", "perceptual", "reprint_accuracy"}) {
          if (!r.is_object() || !r.contains(field) || !r[field].is_number())
            return InvalidArgumentError("input 'attacks[" + std::to_string(i) +
                                        "]' is not an attacker.inversion report (no '" + field +
                                        "')");
        }
        // The owners' accuracy through their defenders where the attacker measured it;
        // the model alone otherwise.
        const double accuracy =
            r.contains("defended_accuracy") && r["defended_accuracy"].is_number()
                ? r["defended_accuracy"].get<double>()
                : summary.model_accuracy;
        accuracy_sum += accuracy;
        const double best = r.value("best_ssim", r["ssim"].get<double>());
        const std::string label = AttackLabel(r);
        if (best > summary.best_ssim) {
          summary.best_ssim = best;
          summary.best_attack = label;
          summary.best_index = i;
        }
        summary.best_reprint = std::max(summary.best_reprint, r["reprint_accuracy"].get<double>());
        rows.push_back({{"setup", setups[s]},
                        {"accuracy", accuracy},
                        {"model_accuracy", summary.model_accuracy},
                        {"test_accuracy", accuracy},
                        {"attack", r["attack"]},
                        {"attack_label", label},
                        {"mse", r["mse"]},
                        {"ssim", r["ssim"]},
                        {"best_ssim", best},
                        {"perceptual", r["perceptual"]},
                        {"reprint_accuracy", r["reprint_accuracy"]},
                        {"setup_index", s}});
      }
      summary.accuracy = accuracy_sum / static_cast<double>(per_setup);
    }
    const json verdicts = Verdicts(ctx, setups, baseline, summaries);
    std::ostringstream csv;
    csv << "setup,test_accuracy,model_accuracy,attack,mse,ssim,best_ssim,perceptual,"
           "reprint_accuracy,verdict\n";
    for (json& row : rows) {
      const size_t s = row["setup_index"].get<size_t>();
      row.erase("setup_index");
      row["verdict"] = verdicts[s]["verdict"];
      csv << '"' << setups[s] << "\"," << row["accuracy"].get<double>() << ','
          << row["model_accuracy"].get<double>() << ',' << row["attack_label"].get<std::string>()
          << ',' << row["mse"].get<double>() << ',' << row["ssim"].get<double>() << ','
          << row["best_ssim"].get<double>() << ',' << row["perceptual"].get<double>() << ','
          << row["reprint_accuracy"].get<double>() << ',' << row["verdict"].get<std::string>()
          << '\n';
    }
    SM_RETURN_IF_ERROR(ctx.Set(
        kSummary,
        JsonDocument(json{
            {"rows", rows}, {"setups", verdicts}, {"max_accuracy_drop", ctx.Get(kMaxAccuracyDrop)}}
                         .dump(2))));
    SM_RETURN_IF_ERROR(ctx.Set(kTable, Blob(csv.str())));
    std::vector<report::TradeOffPoint> points;
    for (size_t s = 0; s < setups.size(); ++s)
      points.push_back({setups[s], summaries[s].best_ssim, summaries[s].accuracy,
                        verdicts[s]["verdict"] != "accuracy lost"});
    SM_RETURN_IF_ERROR(ctx.Set(
        kCurve,
        Blob(report::TradeOffSvg(points, summaries[0].accuracy - ctx.Get(kMaxAccuracyDrop)))));
    if (!ctx.Has(kGrids)) return OkStatus();
    return EmitReconstructions(ctx, setups, summaries, attacks.size());
  }

 private:
  // Index of each setup's baseline (itself for an undefended one).
  static StatusOr<std::vector<size_t>> Baselines(Context& ctx,
                                                 const std::vector<std::string>& setups) {
    const std::vector<std::string> names = ctx.Get(kBaselines);
    std::vector<size_t> out(setups.size(), 0);
    if (names.empty()) return out;
    if (names.size() != setups.size())
      return InvalidArgumentError("parameter 'baselines' has " + std::to_string(names.size()) +
                                  " entries; it needs one per setup (" +
                                  std::to_string(setups.size()) + ")");
    for (size_t s = 0; s < setups.size(); ++s) {
      if (names[s].empty()) {
        out[s] = s;
        continue;
      }
      const auto it = std::find(setups.begin(), setups.end(), names[s]);
      if (it == setups.end())
        return InvalidArgumentError("parameter 'baselines[" + std::to_string(s) + "]': '" +
                                    names[s] + "' is not one of the setups");
      out[s] = static_cast<size_t>(it - setups.begin());
    }
    return out;
  }

  static json Verdicts(Context& ctx, const std::vector<std::string>& setups,
                       const std::vector<size_t>& baseline,
                       const std::vector<SetupSummary>& summaries) {
    json out = json::array();
    for (size_t s = 0; s < setups.size(); ++s) {
      const SetupSummary& mine = summaries[s];
      const SetupSummary& base = summaries[baseline[s]];
      const double drop = base.accuracy - mine.accuracy;
      std::string verdict;
      if (baseline[s] == s) {
        verdict = "baseline";
      } else if (drop > ctx.Get(kMaxAccuracyDrop)) {
        verdict = "accuracy lost";  // whatever its SSIM, not credited as privacy
      } else if (mine.best_ssim < base.best_ssim) {
        verdict = "protects";
      } else {
        verdict = "no protection";
      }
      out.push_back({{"setup", setups[s]},
                     {"baseline", setups[baseline[s]]},
                     {"accuracy", mine.accuracy},
                     {"model_accuracy", mine.model_accuracy},
                     {"accuracy_drop", drop},
                     {"best_ssim", mine.best_ssim},
                     {"best_attack", mine.best_attack},
                     {"ssim_reduction", base.best_ssim - mine.best_ssim},
                     {"best_reprint_accuracy", mine.best_reprint},
                     {"verdict", verdict}});
      ctx.Info(setups[s] + ": accuracy " + std::to_string(mine.accuracy) + " (drop " +
               std::to_string(drop) + "), best SSIM " + std::to_string(mine.best_ssim) + " by " +
               mine.best_attack + ": " + verdict);
    }
    return out;
  }

  static Status EmitReconstructions(Context& ctx, const std::vector<std::string>& setups,
                                    const std::vector<SetupSummary>& summaries,
                                    size_t attack_count) {
    SM_ASSIGN_OR_RETURN(std::vector<Blob> grids, ctx.GetAll(kGrids));
    if (grids.size() != attack_count)
      return InvalidArgumentError("input 'grids' has " + std::to_string(grids.size()) +
                                  " grids; it needs one per attack (" +
                                  std::to_string(attack_count) + ")");
    std::vector<std::string> names, bytes;
    for (size_t s = 0; s < setups.size(); ++s) {
      const size_t i = summaries[s].best_index;
      names.push_back("input 'grids[" + std::to_string(i) + "]'");
      bytes.push_back(std::string(grids[i].bytes()));
    }
    SM_ASSIGN_OR_RETURN(std::string png, report::StackReconstructions(names, bytes));
    return ctx.Set(kReconstructions, Blob(std::move(png)));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::PrivacyTable, report, privacy_table)
