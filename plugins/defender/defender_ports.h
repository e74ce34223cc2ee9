// What every defender plugin declares: the untrained defender it makes for a data owner,
// the hidden-state shape it works on, and its seed. The owner trains it.
#pragma once

#include "models/model_file.h"
#include "models/model_zoo.h"
#include "securemark/node.h"
#include "split/privacy_nets.h"

namespace securemark::defender {

inline constexpr Output<models::ModelFile> kDefender{
    "model", "The defender: hidden states [N, ...] -> same."};
inline constexpr Param<std::vector<int64_t>> kShape{
    "shape", "[900]", "Hidden state per example: [features] or [C, H, W] (conv splits)."};
inline constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation seed."};

// An MLP defender of `variant` (0: the identity) for flat hidden states.
inline Status EmitMlp(Context& ctx, int variant) {
  const std::vector<int64_t> shape = ctx.Get(kShape);
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  if (variant != 0 && shape.size() != 1) {
    return InvalidArgumentError("defender.mlp works on flat hidden states [features], got " +
                                c10::str(shape) + "; use defender.deconv for conv splits");
  }
  SM_ASSIGN_OR_RETURN(torch::jit::Module m,
                      split::MakeMlpDefender(std::max<int64_t>(features, 2), variant,
                                             static_cast<uint64_t>(ctx.Get(kSeed))));
  return ctx.Set(kDefender, models::ModelFile(models::SaveModel(m)));
}

}  // namespace securemark::defender
