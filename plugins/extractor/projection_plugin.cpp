// extractor.projection: F̂ = X w from a suspect model, for the detectors. Given the
// vendor's reference model (the one the copies were made from), the suspect is first
// aligned to it: units matched by weight similarity, scales undone, dummy units dropped,
// so that re-parameterising a copy does not hide its fingerprint.
#include <torch/torch.h>

#include "models/layer_chain.h"
#include "models/plugin_support.h"
#include "models/projection.h"

namespace securemark {
namespace {

class ProjectionExtractor : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{
      "model",
      "The suspect model: TorchScript, or a checkpoint (state_dict) when 'reference' is given."};
  static constexpr Input<domain::ProjectionKey> kKey{"key",
                                                     "The projection key X used when embedding."};
  static constexpr Input<models::ModelFile> kReference{
      "reference", "The vendor's model the copies came from; aligns the suspect to it.", kOptional};
  static constexpr Output<domain::Extraction> kExtracted{
      "extracted",
      "float64 'fingerprint' F = X w, and 'signal_norm' ‖w‖, 'signal_length' β and 'key_gram' "
      "X Xᵀ for the provenance test, as the detectors expect."};
  static constexpr Param<std::string> kLayer{
      "layer", "", "The marked layer (default: the one recorded with the key)."};

  static Contract GetContract() {
    return Contract::Build("1.4.0", "Extracts the projected fingerprint from a model's layer.",
                           kModel, kKey, kReference, kExtracted, kLayer);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, SuspectModel(ctx));
    // NaN weights would read as no fingerprint at all and clear everyone by accident.
    SM_RETURN_IF_ERROR(models::CheckFinite(model).WithContext("input 'model'"));
    SM_ASSIGN_OR_RETURN(domain::ProjectionKey key_map, ctx.Get(kKey));
    SM_ASSIGN_OR_RETURN(models::ProjectionKey key, models::KeyFromMap(key_map));
    std::string layer = ctx.Get(kLayer);
    if (layer.empty()) layer = key_map.Attr("layer");
    if (layer.empty()) {
      return InvalidArgumentError("the key records no layer; set parameter 'layer'");
    }
    domain::Extraction out;
    if (ctx.Has(kReference)) {
      SM_ASSIGN_OR_RETURN(torch::jit::Module reference, models::GetModel(ctx, kReference));
      // Architectures alignment cannot handle (batch norm, residual connections) are read
      // as they are: an unchanged or fine-tuned copy still traces, a re-parameterised one
      // does not, and nobody is accused on its account.
      if (StatusOr<std::vector<models::ChainLayer>> chain = models::LayerChain(reference);
          !chain.ok()) {
        out.SetAttr("alignment", "unavailable: " + chain.status().message());
        ctx.Warn("not aligned to the reference: " + chain.status().message());
        return ReadInto(ctx, model, key, layer, out);
      }
      StatusOr<models::AlignmentReport> aligned = models::AlignToReference(model, reference);
      if (!aligned.ok()) return aligned.status().WithContext("aligning 'model' to 'reference'");
      out.SetAttr("alignment", "done");
      out.SetAttr("aligned_units_moved", std::to_string(aligned->units_moved));
      out.SetAttr("aligned_dummies_dropped", std::to_string(aligned->dummies_dropped));
      out.SetAttr("aligned_similarity", std::to_string(aligned->mean_similarity));
      ctx.Info("aligned to the reference: " + std::to_string(aligned->units_moved) +
               " units moved back, " + std::to_string(aligned->dummies_dropped) +
               " dummies dropped, mean similarity " + std::to_string(aligned->mean_similarity));
    }
    return ReadInto(ctx, model, key, layer, out);
  }

 private:
  static Status ReadInto(Context& ctx, torch::jit::Module& model, const models::ProjectionKey& key,
                         const std::string& layer, domain::Extraction& out) {
    StatusOr<TensorMap> read = models::ReadFingerprint(model, key, layer);
    if (!read.ok()) return read.status().WithContext("input 'model'");
    for (const auto& [name, tensor] : read->tensors()) out.Put(name, tensor);
    out.SetAttr("layer", layer);
    return ctx.Set(kExtracted, out);
  }

 private:
  // A TorchScript model, or a checkpoint (state_dict) of the reference's architecture.
  static StatusOr<torch::jit::Module> SuspectModel(Context& ctx) {
    StatusOr<torch::jit::Module> model = models::GetModel(ctx, kModel);
    if (model.ok() || !ctx.Has(kReference)) return model;
    SM_ASSIGN_OR_RETURN(models::ModelFile file, ctx.Get(kModel));
    SM_ASSIGN_OR_RETURN(torch::jit::Module reference, models::GetModel(ctx, kReference));
    StatusOr<torch::jit::Module> checkpoint = models::LoadCheckpoint(file.bytes(), reference);
    if (!checkpoint.ok()) return checkpoint.status().WithContext("input 'model'");
    ctx.Info("read 'model' as a checkpoint of the reference architecture");
    return checkpoint;
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::ProjectionExtractor, extractor, projection)
