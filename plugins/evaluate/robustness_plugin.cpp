// evaluate.robustness: tracing under attack, measured on real models. For every strength
// of an attack and every coalition size K, `trials` random coalitions of the delivered
// copies pool their models, attack the pooled model, and the vendor extracts (after
// aligning the suspect to the reference model, with `align`) and decides with the rule
// every trace uses (codes/verdict.h: provenance first, then identification, with
// `calibrate`: calibrated on `null_models` coalitions of k-1 other customers put through
// the same attack). The attacker plugins do the same one model per step; here hundreds
// of attacked models stay inside one step.
#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "attacks/attack_params.h"
#include "codes/calibration.h"
#include "codes/calibration_json.h"
#include "codes/detection_inputs.h"
#include "codes/verdict.h"
#include "models/layer_chain.h"
#include "models/plugin_support.h"
#include "models/projection.h"
#include "models/training.h"
#include "rate_json.h"

namespace securemark {
namespace {

using nlohmann::json;

constexpr Input<models::ModelFile> kModels{"models", "The customers' delivered copies.", kMany};
constexpr Input<models::ModelFile> kReference{
    "reference", "The vendor's model the copies came from (for alignment).", kOptional};
constexpr Input<domain::ProjectionKey> kKey{"key", "The projection key used when embedding."};
constexpr Input<Dataset> kData{"data", "Data the attacker fine-tunes on.", kOptional};
constexpr Input<Dataset> kTest{"test", "Test set for the attacked models' accuracy.", kOptional};
constexpr Output<JsonDocument> kReport{"report", "Rates per attack strength and coalition size."};
constexpr Output<Blob> kTable{"table", "The same as CSV."};
constexpr Param<std::string> kAttack{"attack", "none", "What is done to each pooled model.",
                                     Choices{attacks::kAttackKinds}};
constexpr Param<std::vector<double>> kStrengths{
    "strengths", "[0]", "Pruning rates, or weight-shift multiples (one row set per value)."};
constexpr Param<std::vector<int64_t>> kKValues{"k_values", "[1, 2, 3]", "Coalition sizes."};
constexpr Param<int64_t> kTrials{"trials", 3, "Random coalitions per size and strength.",
                                 Range{1, 100000}};
constexpr Param<int64_t> kNullModels{"null_models", 10, "Coalitions of k-1 others for calibration.",
                                     Range{1, 100000}};
constexpr Param<bool> kAlign{"align", true, "Align each suspect to 'reference' first."};
constexpr Param<bool> kCalibrate{"calibrate", true, "Accuse only at the calibrated level."};
constexpr Param<double> kFalseAccusation{
    "false_accusation", 0.01, "Stated probability that an investigation accuses an innocent.",
    Range{1e-12, 0.5}};
constexpr Param<std::string> kDetector{"detector", "hard_threshold", "Detector to run.",
                                       Choices{"hard_threshold|adaptive_sorting|sequential"}};
constexpr Param<std::vector<int64_t>> kCustomers{
    "customers", "[]", "Customer behind each of 'models' (empty: index = customer)."};
constexpr Param<std::string> kPool{"pool", "average", "How a coalition pools its copies.",
                                   Choices{"average|median|random"}};
constexpr Param<std::string> kShiftLayer{"shift_layer", "",
                                         "Layer weight_shift attacks (default: the marked one)."};
constexpr Param<int64_t> kSeed{"seed", 0, "Seed of coalitions and attacks.", Range{0, 9.2e18}};
constexpr Param<std::string> kLabel{"label", "", "Name of this evaluation in reports."};

// One attacked model: who made it, what the vendor found.
struct Trial {
  std::set<int64_t> coalition;   // customers
  codes::Extraction extraction;  // identity empty when nothing could be extracted
  const std::vector<double>& y() const { return extraction.identity; }
  double test_accuracy = -1;
};

class RobustnessEvaluation : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build(
        "3.0.0", "Detection and false alarm on real models after collusion and an attack.", kModels,
        kReference, kKey, codes::kCodebook, codes::kBasis, kData, kTest, kReport, kTable, kAttack,
        kStrengths, kKValues, kTrials, kNullModels, kAlign, kCalibrate, kFalseAccusation, kDetector,
        codes::kTau, kCustomers, kPool, attacks::kFraction, attacks::kEpochs, attacks::kLr,
        attacks::kBatch, attacks::kScope, attacks::kLayers, attacks::kPermute, attacks::kMinScale,
        attacks::kMaxScale, attacks::kDummyPairs, kShiftLayer, codes::kCommunityBits, kSeed,
        attacks::kThreads, kLabel);
  }

  Status Process(Context& ctx) override {
    SM_RETURN_IF_ERROR(Load(ctx));
    const std::vector<double> strengths = ctx.Get(kStrengths);
    const std::vector<int64_t> sizes = ctx.Get(kKValues);
    if (strengths.empty() || sizes.empty()) {
      return InvalidArgumentError("parameters 'strengths' and 'k_values' must not be empty");
    }
    for (int64_t k : sizes) {
      if (k < 1 || k > static_cast<int64_t>(files_.size())) {
        return InvalidArgumentError("coalition size " + std::to_string(k) + " needs 1.." +
                                    std::to_string(files_.size()) + " models");
      }
    }
    const int64_t null_k =
        std::clamp<int64_t>(codebook_.resilience(), 1, static_cast<int64_t>(files_.size()) - 1);
    const bool calibrate = ctx.Get(kCalibrate);
    const int64_t per_strength = (calibrate ? ctx.Get(kNullModels) : 0) +
                                 ctx.Get(kTrials) * static_cast<int64_t>(sizes.size());
    const double total = static_cast<double>(per_strength * strengths.size());
    int64_t done = 0;
    json rows = json::array();
    std::ostringstream csv;
    csv << "label,attack,strength,aligned,calibrated,k,trials,detection,detection_low,"
           "detection_high,false_alarm,false_alarm_low,false_alarm_high,exact,test_accuracy,"
           "extraction_accuracy\n";
    std::mt19937_64 rng(static_cast<uint64_t>(ctx.Get(kSeed)));
    for (double strength : strengths) {
      std::optional<codes::Calibration> calibration;
      if (calibrate) {
        std::vector<double> null_scores;
        for (int64_t m = 0; m < ctx.Get(kNullModels); ++m) {
          if (ctx.Cancelled()) return CancelledError("evaluation cancelled");
          SM_ASSIGN_OR_RETURN(Trial t, RunTrial(ctx, Coalition(null_k, rng), strength, rng()));
          ctx.Progress(static_cast<double>(++done), total, "attacked models");
          if (t.y().empty()) continue;
          SM_ASSIGN_OR_RETURN(codes::CodeFrame frame,
                              codes::CodeFrame::Of(codebook_, t.extraction));
          SM_ASSIGN_OR_RETURN(std::vector<double> innocents,
                              frame.InnocentScores({t.coalition.begin(), t.coalition.end()}));
          null_scores.insert(null_scores.end(), innocents.begin(), innocents.end());
        }
        // No null extraction at all: nothing to calibrate on, so nobody can be accused.
        if (!null_scores.empty()) {
          SM_ASSIGN_OR_RETURN(codes::NullCalibration null,
                              codes::FitNull(std::move(null_scores), ctx.Get(kNullModels)));
          calibration =
              codes::MakeCalibration(std::move(null), ctx.Get(kFalseAccusation), codebook_.users());
        }
      }
      for (int64_t k : sizes) {
        int64_t caught = 0, colluders = 0, false_accused = 0, innocents = 0, exact = 0,
                accused_total = 0, accuracy_count = 0, failures = 0, derived = 0;
        double accuracy_sum = 0, extraction_sum = 0, level_sum = 0;
        for (int64_t trial = 0; trial < ctx.Get(kTrials); ++trial) {
          if (ctx.Cancelled()) return CancelledError("evaluation cancelled");
          SM_ASSIGN_OR_RETURN(Trial t, RunTrial(ctx, Coalition(k, rng), strength, rng()));
          std::set<int64_t> accused;
          level_sum += t.y().empty() ? 0.0 : codes::SignalLevel(codebook_, t.y());
          // Without a calibration where one was asked for, nobody can be accused.
          if (!t.y().empty() && (calibration || !calibrate)) {
            SM_ASSIGN_OR_RETURN(codes::Verdict v, Decide(ctx, t, calibration));
            accused = v.Users();
            derived += v.decided_by == "identification";
          }
          colluders += k;
          innocents += codebook_.users() - k;
          accused_total += static_cast<int64_t>(accused.size());
          for (int64_t u : accused) (t.coalition.count(u) ? caught : false_accused) += 1;
          exact += accused == t.coalition;
          if (t.y().empty()) ++failures;  // counts as extraction accuracy 0
          if (!t.y().empty()) extraction_sum += ExtractionAccuracy(t);
          if (t.test_accuracy >= 0) accuracy_sum += t.test_accuracy, ++accuracy_count;
          ctx.Progress(static_cast<double>(++done), total, "attacked models");
        }
        const int64_t trials = ctx.Get(kTrials);
        const codes::Rate detection = codes::WilsonRate(caught, colluders);
        const codes::Rate false_alarm = codes::WilsonRate(false_accused, innocents);
        const double accuracy = accuracy_count ? accuracy_sum / accuracy_count : -1;
        const double extraction = extraction_sum / trials;
        json row = {{"strength", strength},
                    {"k", k},
                    {"trials", trials},
                    {"detection", evaluate::RateJson(detection)},
                    {"false_alarm", evaluate::RateJson(false_alarm)},
                    {"exact", evaluate::RateJson(codes::WilsonRate(exact, trials))},
                    {"mean_accused", static_cast<double>(accused_total) / trials},
                    {"test_accuracy", accuracy},
                    {"extraction_accuracy", extraction},
                    {"mean_signal_level", level_sum / trials},
                    {"provenance_shown", evaluate::RateJson(codes::WilsonRate(derived, trials))}};
        if (calibration) row["null_max_t"] = calibration->null.scores.back();
        row["extraction_failures"] = failures;
        rows.push_back(row);
        csv << '"' << Label(ctx) << "\"," << ctx.Get(kAttack) << ',' << strength << ',' << aligned_
            << ',' << calibrate << ',' << k << ',' << trials << ',' << detection.value << ','
            << detection.low << ',' << detection.high << ',' << false_alarm.value << ','
            << false_alarm.low << ',' << false_alarm.high << ','
            << static_cast<double>(exact) / trials << ',' << accuracy << ',' << extraction << '\n';
        ctx.Info(ctx.Get(kAttack) + " " + std::to_string(strength) + ", K=" + std::to_string(k) +
                 ": detection " + std::to_string(detection.value) + ", false alarm " +
                 std::to_string(false_alarm.value) + ", test accuracy " + std::to_string(accuracy) +
                 ", extraction accuracy " + std::to_string(extraction));
      }
    }
    const json report = {{"label", Label(ctx)},
                         {"attack", ctx.Get(kAttack)},
                         {"aligned", aligned_},
                         {"calibrated", calibrate},
                         {"false_accusation", ctx.Get(kFalseAccusation)},
                         {"null_coalition_size", null_k},
                         {"detector", ctx.Get(kDetector)},
                         {"pool", ctx.Get(kPool)},
                         {"codebook", codebook_.name()},
                         {"users", codebook_.users()},
                         {"length", codebook_.length()},
                         {"resilience", codebook_.resilience()},
                         {"copies", files_.size()},
                         {"rows", rows}};
    SM_RETURN_IF_ERROR(ctx.Set(kReport, JsonDocument(report.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }

 private:
  std::string Label(Context& ctx) const {
    return ctx.Get(kLabel).empty() ? ctx.Get(kAttack) : ctx.Get(kLabel);
  }

  Status Load(Context& ctx) {
    models::UseThreads(ctx.Get(attacks::kThreads));
    SM_ASSIGN_OR_RETURN(files_, ctx.GetAll(kModels));
    if (files_.size() < 2) return InvalidArgumentError("input 'models' needs at least two copies");
    SM_ASSIGN_OR_RETURN(codebook_, ctx.Get(codes::kCodebook));
    if (ctx.Has(codes::kBasis)) {
      SM_ASSIGN_OR_RETURN(domain::Basis b, ctx.Get(codes::kBasis));
      basis_ = std::move(b);
    }
    SM_ASSIGN_OR_RETURN(domain::ProjectionKey key_map, ctx.Get(kKey));
    SM_ASSIGN_OR_RETURN(key_, models::KeyFromMap(key_map));
    layer_ = key_map.Attr("layer");
    if (layer_.empty()) return InvalidArgumentError("input 'key' records no layer");
    customers_ = ctx.Get(kCustomers);
    if (customers_.empty()) {
      for (size_t i = 0; i < files_.size(); ++i) customers_.push_back(static_cast<int64_t>(i));
    }
    if (customers_.size() != files_.size()) {
      return InvalidArgumentError("parameter 'customers' has " + std::to_string(customers_.size()) +
                                  " entries for " + std::to_string(files_.size()) + " models");
    }
    for (int64_t c : customers_) {
      if (c < 0 || c >= codebook_.users()) {
        return InvalidArgumentError("customer " + std::to_string(c) + " is not among the " +
                                    std::to_string(codebook_.users()) + " users of the codebook");
      }
    }
    aligned_ = ctx.Get(kAlign) && ctx.Has(kReference);
    if (aligned_) {
      SM_ASSIGN_OR_RETURN(reference_, models::GetModel(ctx, kReference));
    }
    SM_ASSIGN_OR_RETURN(attacks::AttackSpec spec, Spec(ctx, 0, 0));
    if (attacks::NeedsData(spec)) {
      if (!ctx.Has(kData))
        return InvalidArgumentError("attack '" + spec.kind + "' fine-tunes and needs input 'data'");
      SM_ASSIGN_OR_RETURN(Dataset d, ctx.Get(kData));
      data_ = std::move(d);
    }
    if (ctx.Has(kTest)) {
      SM_ASSIGN_OR_RETURN(Dataset test, ctx.Get(kTest));
      test_x_ = models::ImagesToTensor(test.images());
      test_y_ = models::LabelsToTensor(test.labels());
    }
    return OkStatus();
  }

  // K distinct copies, as indices into files_.
  std::vector<int64_t> Coalition(int64_t k, std::mt19937_64& rng) const {
    std::vector<int64_t> all(files_.size());
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(k);
    return all;
  }

  StatusOr<Trial> RunTrial(Context& ctx, const std::vector<int64_t>& members, double strength,
                           uint64_t seed) {
    Trial t;
    std::vector<torch::jit::Module> copies;
    for (int64_t m : members) {
      StatusOr<torch::jit::Module> copy = models::LoadModel(files_[m].bytes());
      if (!copy.ok()) return copy.status().WithContext("input 'models'[" + std::to_string(m) + "]");
      copies.push_back(std::move(*copy));
      t.coalition.insert(customers_[m]);
    }
    SM_RETURN_IF_ERROR(attacks::Pool(copies, ctx.Get(kPool), seed));
    torch::jit::Module& model = copies[0];
    SM_RETURN_IF_ERROR(Attack(ctx, model, strength, seed));
    if (test_x_.defined()) t.test_accuracy = models::Accuracy(model, test_x_, test_y_);
    if (aligned_) {
      StatusOr<models::AlignmentReport> a = models::AlignToReference(model, *reference_);
      if (!a.ok()) return a.status().WithContext("aligning an attacked model to 'reference'");
    }
    StatusOr<TensorMap> read = models::ReadFingerprint(model, key_, layer_);
    if (!read.ok()) {
      // Without alignment a re-parameterised layer may not even have the key's shape:
      // the vendor finds nothing, which is the attack succeeding.
      if (aligned_) return read.status().WithContext("extracting from an attacked model");
      return t;
    }
    SM_ASSIGN_OR_RETURN(t.extraction,
                        codes::ExtractionFrom(*read, basis_ ? &*basis_ : nullptr,
                                              ctx.Get(codes::kCommunityBits), codebook_));
    return t;
  }

  // The attack of one trial, from the same parameters the attacker plugins read.
  StatusOr<attacks::AttackSpec> Spec(Context& ctx, double strength, uint64_t seed) const {
    attacks::AttackSpec spec;
    spec.kind = ctx.Get(kAttack);
    spec.finetune = attacks::FineTuneFrom(ctx, seed);
    spec.prune_rate = strength;
    spec.prune_global = ctx.Get(attacks::kScope) == "global";
    SM_ASSIGN_OR_RETURN(spec.reparam, attacks::ReparamFrom(ctx, seed));
    spec.shift_layer = ctx.Get(kShiftLayer).empty() ? layer_ : ctx.Get(kShiftLayer);
    spec.shift_alpha = strength;
    return spec;
  }

  Status Attack(Context& ctx, torch::jit::Module& model, double strength, uint64_t seed) {
    SM_ASSIGN_OR_RETURN(attacks::AttackSpec spec, Spec(ctx, strength, seed));
    return attacks::Apply(model, spec, data_ ? &*data_ : nullptr).status();
  }

  // The same rule as every detector and trace (codes/verdict.h).
  StatusOr<codes::Verdict> Decide(Context& ctx, const Trial& t,
                                  const std::optional<codes::Calibration>& calibration) {
    codes::DecisionRule rule;
    rule.detector = ctx.Get(kDetector);
    rule.tau = ctx.Get(codes::kTau);
    rule.false_accusation = ctx.Get(kFalseAccusation);
    return codes::Decide(codebook_, t.extraction, rule, calibration ? &*calibration : nullptr);
  }

  // Share of code positions where the extraction has the sign of the coalition's average
  // code word (positions where that average is zero carry no bit and are skipped).
  double ExtractionAccuracy(const Trial& t) const {
    const int64_t n = codebook_.length();
    std::vector<double> mean(n, 0.0), b(n);
    for (int64_t u : t.coalition) {
      codebook_.Coefficients(u, b.data());
      for (int64_t i = 0; i < n; ++i) mean[i] += b[i] / static_cast<double>(t.coalition.size());
    }
    const bool on_off = codebook_.modulation() == codes::Modulation::kOnOff;
    const double level = codes::SignalLevel(codebook_, t.y());
    int64_t right = 0, counted = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!on_off && std::fabs(mean[i]) < 1e-12) continue;
      const bool expected = mean[i] > (on_off ? 0.0 : 1e-12);
      const bool found = on_off ? t.y()[i] > 0.5 * level : t.y()[i] > 0;
      right += expected == found;
      ++counted;
    }
    return counted ? static_cast<double>(right) / counted : 0.0;
  }

  std::vector<models::ModelFile> files_;
  std::vector<int64_t> customers_;
  codes::Codebook codebook_;
  std::optional<TensorMap> basis_;
  models::ProjectionKey key_;
  std::string layer_;
  bool aligned_ = false;
  std::optional<torch::jit::Module> reference_;
  std::optional<Dataset> data_;
  torch::Tensor test_x_, test_y_;
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::RobustnessEvaluation, evaluate, robustness)
