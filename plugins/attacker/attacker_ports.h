// Ports every single-model attack plugin has: the customer's copy in, the attacked copy
// and a report out, data to fine-tune on and a test set for the accuracy after. Their
// parameters are attacks/attack_params.h, shared with evaluate.robustness.
#pragma once

#include <nlohmann/json.hpp>

#include "attacks/attack_params.h"
#include "models/plugin_support.h"
#include "models/training.h"

namespace securemark::attacker {

inline constexpr Input<models::ModelFile> kModel{"model", "The customer's copy."};
inline constexpr Input<Dataset> kData{
    "data", "Training data the customer has (a fraction is used).", kOptional};
inline constexpr Input<Dataset> kTest{"test", "Test set for the accuracy after the attack.",
                                      kOptional};
inline constexpr Output<models::ModelFile> kOut{"model", "The attacked model."};
inline constexpr Output<JsonDocument> kReport{"report",
                                              "What was done and the test accuracy after."};
inline constexpr Param<int64_t> kSeed{"seed", 0, "Seed of the attack.", Range{0, 9.2e18}};

// Runs `spec` on the step's model and sets the outputs; `report` gets what was done.
inline Status RunAttack(Context& ctx, const attacks::AttackSpec& spec, nlohmann::json report) {
  SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
  std::optional<Dataset> data;
  if (attacks::NeedsData(spec)) {
    if (!ctx.Has(kData))
      return InvalidArgumentError("attack '" + spec.kind + "' fine-tunes and needs input 'data'");
    SM_ASSIGN_OR_RETURN(Dataset d, ctx.Get(kData));
    data = std::move(d);
  } else {
    models::UseThreads(spec.finetune.threads);
  }
  StatusOr<attacks::AttackOutcome> outcome =
      attacks::Apply(model, spec, data ? &*data : nullptr, [&](int64_t epoch) {
        ctx.Progress(static_cast<double>(epoch + 1), static_cast<double>(spec.finetune.epochs),
                     "fine-tuning epoch");
      });
  if (!outcome.ok()) return outcome.status().WithContext("input 'data'");
  report["attack"] = spec.kind;
  report["examples"] = outcome->examples;
  if (outcome->prunable > 0) {
    report["zeroed"] = static_cast<double>(outcome->zeroed) / outcome->prunable;
    ctx.Info("zeroed " + std::to_string(outcome->zeroed) + " of " +
             std::to_string(outcome->prunable) + " weights");
  }
  if (ctx.Has(kTest)) {
    SM_ASSIGN_OR_RETURN(Dataset test, ctx.Get(kTest));
    report["test_accuracy"] = models::Accuracy(model, models::ImagesToTensor(test.images()),
                                               models::LabelsToTensor(test.labels()));
  }
  SM_RETURN_IF_ERROR(ctx.Set(kOut, models::ModelFile(models::SaveModel(model))));
  return ctx.Set(kReport, JsonDocument(report.dump(2)));
}

}  // namespace securemark::attacker
