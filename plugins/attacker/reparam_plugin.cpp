// attacker.reparam: a customer re-parameterises its copy without changing what it
// computes — permutes the units of hidden layers, rescales them (ReLU and max pooling
// commute with positive scales; the next layer divides), and adds pairs of dummy units
// whose contributions cancel. Weight-space watermarks read at fixed positions fail on it.
#include "attacker_ports.h"

namespace securemark::attacker {
namespace {

class Reparam : public Node {
 public:
  static constexpr Output<JsonDocument> kReparamReport{
      "report", "{layers, permute, min_scale, max_scale, dummy_pairs, units per layer}."};

  static Contract GetContract() {
    return Contract::Build("1.1.0",
                           "Function-preserving re-parameterisation: permute, rescale, add "
                           "cancelling dummy units.",
                           kModel, kOut, kReparamReport, attacks::kLayers, attacks::kPermute,
                           attacks::kMinScale, attacks::kMaxScale, attacks::kDummyPairs, kSeed);
  }

  Status Process(Context& ctx) override {
    attacks::AttackSpec spec;
    spec.kind = "reparam";
    SM_ASSIGN_OR_RETURN(spec.reparam,
                        attacks::ReparamFrom(ctx, static_cast<uint64_t>(ctx.Get(kSeed))));
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    SM_RETURN_IF_ERROR(attacks::Apply(model, spec, nullptr).status());
    SM_ASSIGN_OR_RETURN(std::vector<models::ChainLayer> chain, models::LayerChain(model));
    nlohmann::json widths = nlohmann::json::object();
    for (const models::ChainLayer& l : chain)
      widths[l.name] = models::LayerWeight(model, l.name)->size(0);
    const models::ReparamOptions& o = spec.reparam;
    const nlohmann::json report = {{"layers", o.layers},           {"permute", o.permute},
                                   {"min_scale", o.min_scale},     {"max_scale", o.max_scale},
                                   {"dummy_pairs", o.dummy_pairs}, {"units", widths}};
    SM_RETURN_IF_ERROR(ctx.Set(kOut, models::ModelFile(models::SaveModel(model))));
    return ctx.Set(kReparamReport, JsonDocument(report.dump(2)));
  }
};

}  // namespace
}  // namespace securemark::attacker

SECUREMARK_PLUGIN(securemark::attacker::Reparam, attacker, reparam)
