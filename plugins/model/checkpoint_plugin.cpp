// model.checkpoint: a vendor's trained weights saved with torch.save (a state_dict, or a
// dict holding one), loaded into the architecture they belong to.
#include "model_source.h"

namespace securemark {
namespace {

class CheckpointSource : public Node {
 public:
  static constexpr Param<std::string> kPath =
      Param<std::string>::Required("path", "The checkpoint torch.save wrote.");
  static constexpr Param<std::string> kArchitecture{
      "model", "deepmarks_cnn", "Architecture the weights belong to.",
      Choices{"deepmarks_cnn|fc900|lfw_conv|vgg19_bn|wrn16_4"}};
  static constexpr Param<int64_t> kChannels{"channels", 1, "Input channels.", Range{1, 64}};
  static constexpr Param<int64_t> kHeight{"height", 28, "Input height.", Range{1, 4096}};
  static constexpr Param<int64_t> kWidth{"width", 28, "Input width.", Range{1, 4096}};
  static constexpr Param<int64_t> kClasses{"classes", 10, "Output classes.", Range{2, 100000}};

  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Imports torch.save weights into a zoo architecture (nothing in the "
                           "file is executed), and runs them on a sample of the deployment's "
                           "data.",
                           model_source::kSample, model_source::kModel, model_source::kSummary,
                           kPath, kArchitecture, kChannels, kHeight, kWidth, kClasses);
  }

  Status Process(Context& ctx) override {
    const std::string path = ctx.Get(kPath);
    SM_ASSIGN_OR_RETURN(std::string bytes, model_source::ReadModelFile(path));
    SM_ASSIGN_OR_RETURN(torch::jit::Module architecture,
                        models::BuildModel(ctx.Get(kArchitecture), ctx.Get(kChannels),
                                           ctx.Get(kHeight), ctx.Get(kWidth), ctx.Get(kClasses),
                                           /*seed=*/0));
    StatusOr<torch::jit::Module> model = models::LoadCheckpoint(bytes, architecture);
    if (!model.ok()) return model.status().WithContext(path);
    return model_source::Emit(
        ctx, *model,
        {{"source", path}, {"format", "checkpoint"}, {"architecture", ctx.Get(kArchitecture)}});
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CheckpointSource, model, checkpoint)
