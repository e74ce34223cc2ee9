// model.torchscript: a vendor's own trained model, saved with torch.jit.save (traced or
// scripted), as the start of a deployment.
#include "model_source.h"
#include "models/archive_guard.h"

namespace securemark {
namespace {

// torch.jit.save archives carry their code; torch.save ones only pickles and tensors.
bool HasTorchScriptCode(std::string_view bytes) {
  bool code = false;
  (void)models::ForEachArchiveEntry(bytes, [&code](const models::ArchiveEntry& e) {
    code |= e.name.find("/code/") != std::string_view::npos;
    return OkStatus();
  });
  return code;
}

class TorchScriptSource : public Node {
 public:
  static constexpr Param<std::string> kPath =
      Param<std::string>::Required("path", "The model file torch.jit.save wrote.");

  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Imports a TorchScript model (torch.jit.save): archive check, "
                           "digest, layers, and a run on a sample of the deployment's data.",
                           model_source::kSample, model_source::kModel, model_source::kSummary,
                           kPath);
  }

  Status Process(Context& ctx) override {
    const std::string path = ctx.Get(kPath);
    SM_ASSIGN_OR_RETURN(std::string bytes, model_source::ReadModelFile(path));
    if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0) {
      return InvalidArgumentError(path +
                                  " is not a TorchScript file (expected the zip archive "
                                  "torch.jit.save writes; a legacy pickle file is not one)");
    }
    Status sound = models::CheckModelArchive(bytes);
    if (!sound.ok()) return sound.WithContext(path + " is not a sound model archive");
    if (!HasTorchScriptCode(bytes)) {
      return InvalidArgumentError(
          path +
          " is a torch.save checkpoint (weights without code), not TorchScript; "
          "import it with model.checkpoint and the architecture it belongs to, or "
          "save the model with torch.jit.save(torch.jit.script(model), path)");
    }
    StatusOr<torch::jit::Module> model = models::LoadModel(bytes);
    if (!model.ok()) return model.status().WithContext(path);
    return model_source::Emit(ctx, *model, {{"source", path}, {"format", "torchscript"}});
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::TorchScriptSource, model, torchscript)
