// attacker.reparam: a customer re-parameterises its copy without changing what it
// computes — permutes the units of hidden layers, rescales them (ReLU and max pooling
// commute with positive scales; the next layer divides), and adds pairs of dummy units
// whose contributions cancel. Weight-space watermarks read at fixed positions fail on it.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/layer_chain.h"
#include "models/plugin_support.h"

namespace securemark {
namespace {

class Reparam : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{"model", "The customer's copy."};
  static constexpr Output<models::ModelFile> kOut{"model", "The same function, other weights."};
  static constexpr Output<JsonDocument> kReport{
      "report", "{layers, permute, min_scale, max_scale, dummy_pairs, units per layer}."};
  static constexpr Param<std::vector<std::string>> kLayers{
      "layers", "[]", "Hidden layers to transform (empty: all)."};
  static constexpr Param<bool> kPermute{"permute", true, "Permute units."};
  static constexpr Param<double> kMinScale{"min_scale", 0.5, "Smallest unit scale.",
                                           Range{1e-3, 1e3}};
  static constexpr Param<double> kMaxScale{"max_scale", 2.0, "Largest unit scale.",
                                           Range{1e-3, 1e3}};
  static constexpr Param<int64_t> kDummyPairs{"dummy_pairs", 4, "Cancelling unit pairs per layer.",
                                              Range{0, 10000}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Seed.", Range{0, 9.2e18}};

  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Function-preserving re-parameterisation: permute, rescale, add "
                           "cancelling dummy units.",
                           kModel, kOut, kReport, kLayers, kPermute, kMinScale, kMaxScale,
                           kDummyPairs, kSeed);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    models::ReparamOptions o;
    o.layers = ctx.Get(kLayers);
    o.permute = ctx.Get(kPermute);
    o.min_scale = ctx.Get(kMinScale);
    o.max_scale = ctx.Get(kMaxScale);
    o.dummy_pairs = ctx.Get(kDummyPairs);
    o.seed = static_cast<uint64_t>(ctx.Get(kSeed));
    if (o.max_scale < o.min_scale) return InvalidArgumentError("max_scale is below min_scale");
    SM_RETURN_IF_ERROR(models::Reparameterise(model, o));
    SM_ASSIGN_OR_RETURN(std::vector<models::ChainLayer> chain, models::LayerChain(model));
    nlohmann::json widths = nlohmann::json::object();
    for (const models::ChainLayer& l : chain)
      widths[l.name] = models::LayerWeight(model, l.name)->size(0);
    const nlohmann::json report = {{"layers", o.layers},           {"permute", o.permute},
                                   {"min_scale", o.min_scale},     {"max_scale", o.max_scale},
                                   {"dummy_pairs", o.dummy_pairs}, {"units", widths}};
    SM_RETURN_IF_ERROR(ctx.Set(kOut, models::ModelFile(models::SaveModel(model))));
    return ctx.Set(kReport, JsonDocument(report.dump(2)));
  }
};

// attacker.weight_shift: subtracts alpha times the mean over a layer's units from each
// unit's weights — the statistic projection watermarks read — at some cost in accuracy.
class WeightShift : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{"model", "The customer's copy."};
  static constexpr Output<models::ModelFile> kOut{"model", "The shifted model."};
  static constexpr Param<std::string> kLayer{"layer", "fc1", "The layer to shift."};
  static constexpr Param<double> kAlpha{"alpha", 1.0, "Multiple of the mean to subtract.",
                                        Range{-100, 100}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Removal attack: subtract a multiple of a layer's unit mean.",
                           kModel, kOut, kLayer, kAlpha);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    SM_RETURN_IF_ERROR(models::ShiftWeights(model, ctx.Get(kLayer), ctx.Get(kAlpha)));
    return ctx.Set(kOut, models::ModelFile(models::SaveModel(model)));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::Reparam, attacker, reparam)
SECUREMARK_PLUGIN(securemark::WeightShift, attacker, weight_shift)
