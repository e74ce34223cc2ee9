// attacker.finetune and attacker.prune: what a customer does to wash a fingerprint out
// while keeping the model useful.
//   finetune  train on a fraction of the training data (the papers: up to 10% of the
//             original batches), or on other data the customer has;
//   prune     zero the α% smallest weights (per layer or over all layers), then fine-tune
//             with the pruned weights held at zero.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "attacks/attacks.h"
#include "models/plugin_support.h"
#include "models/training.h"

namespace securemark {
namespace {

using nlohmann::json;

constexpr Input<models::ModelFile> kModel{"model", "The customer's copy."};
constexpr Input<Dataset> kData{"data", "Training data the customer has (a fraction is used).",
                               kOptional};
constexpr Input<Dataset> kTest{"test", "Test set for the accuracy after the attack.", kOptional};
constexpr Output<models::ModelFile> kOut{"model", "The attacked model."};
constexpr Output<JsonDocument> kReport{"report", "What was done and the test accuracy after."};
constexpr Param<double> kFraction{"fraction", 0.1, "Share of 'data' used for fine-tuning.",
                                  Range{0, 1}};
constexpr Param<int64_t> kEpochs{"epochs", 1, "Fine-tuning epochs.", Range{0, 1000}};
constexpr Param<double> kLr{"lr", 0.01, "Fine-tuning learning rate.", Range{0, 10}};
constexpr Param<int64_t> kBatch{"batch", 64, "Fine-tuning batch.", Range{1, 65536}};
constexpr Param<int64_t> kSeed{"seed", 0, "Seed of the subset and of training.", Range{0, 9.2e18}};
constexpr Param<int64_t> kThreads{"threads", 0, "LibTorch threads (0: automatic).", Range{0, 1024}};

// Fine-tunes `model` when the step has data and epochs; fills the report.
Status FineTune(Context& ctx, torch::jit::Module& model, json& report,
                std::function<void()> after_step = {}) {
  std::optional<Dataset> test;
  if (ctx.Has(kTest)) {
    SM_ASSIGN_OR_RETURN(Dataset t, ctx.Get(kTest));
    test = std::move(t);
  }
  report["examples"] = 0;
  if (ctx.Has(kData) && ctx.Get(kEpochs) > 0 && ctx.Get(kFraction) > 0) {
    SM_ASSIGN_OR_RETURN(Dataset data, ctx.Get(kData));
    attacks::FineTuneOptions o;
    o.fraction = ctx.Get(kFraction);
    o.epochs = ctx.Get(kEpochs);
    o.batch_size = ctx.Get(kBatch);
    o.learning_rate = ctx.Get(kLr);
    o.seed = static_cast<uint64_t>(ctx.Get(kSeed));
    o.threads = ctx.Get(kThreads);
    StatusOr<int64_t> used =
        attacks::FineTune(model, data, o, std::move(after_step), [&](int64_t e) {
          ctx.Progress(static_cast<double>(e + 1), static_cast<double>(o.epochs),
                       "fine-tuning epoch");
        });
    if (!used.ok()) return used.status().WithContext("input 'data'");
    report["examples"] = *used;
  } else {
    models::UseThreads(ctx.Get(kThreads));
  }
  if (test) {
    report["test_accuracy"] = models::Accuracy(model, models::ImagesToTensor(test->images()),
                                               models::LabelsToTensor(test->labels()));
  }
  return OkStatus();
}

class FineTuneAttack : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.0.0", "Fine-tunes a copy on (a fraction of) the customer's data.",
                           kModel, kData, kTest, kOut, kReport, kFraction, kEpochs, kLr, kBatch,
                           kSeed, kThreads);
  }
  Status Process(Context& ctx) override {
    if (!ctx.Has(kData)) return InvalidArgumentError("fine-tuning needs input 'data'");
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    json report = {{"attack", "finetune"},
                   {"fraction", ctx.Get(kFraction)},
                   {"epochs", ctx.Get(kEpochs)},
                   {"lr", ctx.Get(kLr)}};
    SM_RETURN_IF_ERROR(FineTune(ctx, model, report));
    SM_RETURN_IF_ERROR(ctx.Set(kOut, models::ModelFile(models::SaveModel(model))));
    return ctx.Set(kReport, JsonDocument(report.dump(2)));
  }
};

class PruneAttack : public Node {
 public:
  static constexpr Param<double> kRate{"rate", 0.5, "Share of weights set to zero.", Range{0, 1}};
  static constexpr Param<std::string> kScope{
      "scope", "layer", "Smallest per layer, or over all layers.", Choices{"layer|global"}};
  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Magnitude pruning of weight matrices and kernels, then sparse "
                           "fine-tuning (pruned weights stay zero).",
                           kModel, kData, kTest, kOut, kReport, kRate, kScope, kFraction, kEpochs,
                           kLr, kBatch, kSeed, kThreads);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    const double rate = ctx.Get(kRate);
    SM_ASSIGN_OR_RETURN(attacks::Pruning pruning,
                        attacks::PruneByMagnitude(model, rate, ctx.Get(kScope) == "global"));
    const int64_t zeros = pruning.zeroed, total = pruning.total;
    json report = {{"attack", "prune"},          {"rate", rate},
                   {"scope", ctx.Get(kScope)},   {"zeroed", static_cast<double>(zeros) / total},
                   {"epochs", ctx.Get(kEpochs)}, {"fraction", ctx.Get(kFraction)}};
    ctx.Info("zeroed " + std::to_string(zeros) + " of " + std::to_string(total) + " weights");
    // Fine-tuning sees the parameters MakeParametersTrainable leaves; masks apply to them.
    SM_RETURN_IF_ERROR(FineTune(ctx, model, report, [&] { pruning.Reapply(model); }));
    SM_RETURN_IF_ERROR(ctx.Set(kOut, models::ModelFile(models::SaveModel(model))));
    return ctx.Set(kReport, JsonDocument(report.dump(2)));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::FineTuneAttack, attacker, finetune)
SECUREMARK_PLUGIN(securemark::PruneAttack, attacker, prune)
