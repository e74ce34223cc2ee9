// What every defender plugin declares: the untrained defender it makes for data owners,
// the cut whose hidden states it works on, and its seed. A defender step's output feeds
// data_owner.node's `defenders` input; the owner checks that it fits its cut and trains it.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "models/model_file.h"
#include "models/model_zoo.h"
#include "securemark/node.h"
#include "split/privacy_nets.h"
#include "split/split_model.h"

namespace securemark::defender {

inline constexpr Output<models::ModelFile> kDefender{
    "model", "The defender: hidden states [N, ...] -> same."};
inline constexpr Param<std::vector<int64_t>> kShape{
    "shape", "[]",
    "Hidden state per example, [features] or [C, H, W]; empty: that of the cut below."};
inline constexpr Param<std::string> kArchitecture{"architecture", "fc900",
                                                  "The split model (as server_trainer.split)."};
inline constexpr Param<std::string> kSplitAfter{"split_after", "fc2",
                                                "The cut: owners run the layers up to this one."};
inline constexpr Param<int64_t> kChannels{"channels", 1, "Image channels.", Range{1, 16}};
inline constexpr Param<int64_t> kHeight{"height", 28, "Image height.", Range{1, 4096}};
inline constexpr Param<int64_t> kWidth{"width", 28, "Image width.", Range{1, 4096}};
inline constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation seed."};
inline constexpr Param<double> kNoise{
    "noise", 0.0,
    "End with a noisy channel: outputs scaled to unit RMS plus N(0, noise^2) (0: none).",
    Range{0, 100}};

// How reports tell a defender with a noisy channel from one without: " noise=1.5".
inline std::string NoiseSuffix(Context& ctx) {
  if (ctx.Get(kNoise) == 0) return "";
  std::ostringstream out;
  out << " noise=" << ctx.Get(kNoise);
  return out.str();
}

// The hidden-state shape the defender works on: `shape`, or the one the cut produces.
inline StatusOr<std::vector<int64_t>> HiddenShape(Context& ctx) {
  if (!ctx.Get(kShape).empty()) return ctx.Get(kShape);
  const std::vector<int64_t> image = {ctx.Get(kChannels), ctx.Get(kHeight), ctx.Get(kWidth)};
  SM_ASSIGN_OR_RETURN(torch::jit::Module model,
                      models::BuildModel(ctx.Get(kArchitecture), image[0], image[1], image[2],
                                         /*classes=*/10, /*seed=*/0));
  SM_ASSIGN_OR_RETURN(split::SplitModel cut,
                      split::SplitModel::Make(std::move(model), ctx.Get(kArchitecture),
                                              ctx.Get(kSplitAfter), image));
  return cut.hidden_shape();
}

// Stores the defender with the name owners report it by ("defender.mlp:2").
inline Status EmitDefender(Context& ctx, torch::jit::Module defender, const std::string& name) {
  defender.register_attribute("securemark_defender", c10::StringType::get(), name);
  return ctx.Set(kDefender, models::ModelFile(models::SaveModel(defender)));
}

// An MLP defender of `variant` (0: the identity) for flat hidden states.
inline Status EmitMlp(Context& ctx, int variant, const std::string& name, double noise = 0) {
  SM_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, HiddenShape(ctx));
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  if (variant != 0 && shape.size() != 1) {
    return InvalidArgumentError("defender.mlp works on flat hidden states [features], got " +
                                c10::str(c10::IntArrayRef(shape)) +
                                "; use defender.deconv for conv splits");
  }
  SM_ASSIGN_OR_RETURN(torch::jit::Module m,
                      split::MakeMlpDefender(std::max<int64_t>(features, 2), variant,
                                             static_cast<uint64_t>(ctx.Get(kSeed)), noise));
  return EmitDefender(ctx, std::move(m), name);
}

}  // namespace securemark::defender
