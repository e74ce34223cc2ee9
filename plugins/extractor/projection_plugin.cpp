// extractor.projection: F̂ = X w from a suspect model, for the detectors.
#include <torch/torch.h>

#include "models/plugin_support.h"
#include "models/projection.h"

namespace securemark {
namespace {

class ProjectionExtractor : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{
      "model", "The suspect model (TorchScript, ours or saved by PyTorch)."};
  static constexpr Input<TensorMap> kKey{"key", "The projection key X used when embedding."};
  static constexpr Output<TensorMap> kExtracted{
      "extracted", "float64 'fingerprint' F = X w, as the detectors expect."};
  static constexpr Param<std::string> kLayer{
      "layer", "", "The marked layer (default: the one recorded with the key)."};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Extracts the projected fingerprint from a model's layer.",
                           kModel, kKey, kExtracted, kLayer);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    SM_ASSIGN_OR_RETURN(TensorMap key_map, ctx.Get(kKey));
    SM_ASSIGN_OR_RETURN(torch::Tensor key, models::KeyFromMap(key_map));
    std::string layer = ctx.Get(kLayer);
    if (layer.empty()) layer = key_map.Attr("layer");
    if (layer.empty()) {
      return InvalidArgumentError("the key records no layer; set parameter 'layer'");
    }
    StatusOr<torch::Tensor> f = models::ExtractFingerprint(model, key, layer);
    if (!f.ok()) return f.status().WithContext("input 'model'");
    TensorMap out;
    const Eigen::VectorXd v = models::ToEigen(*f);
    out.Put("fingerprint", codes::ToTensor(v));
    out.SetAttr("layer", layer);
    return ctx.Set(kExtracted, out);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::ProjectionExtractor, extractor, projection)
