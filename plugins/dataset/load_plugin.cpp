// dataset.load: a data set by directory and format, so a pipeline can expose where its
// data comes from as two params (`--set data_dir=... format=image_folder`).
#include "data/dataset_source.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class LoadDataset : public Node {
 public:
  static constexpr Output<Dataset> kDataset{
      "dataset", "Images uint8[N,C,H,W] (or [N,H,W]) and labels int64[N]."};
  static constexpr Param<std::string> kFormat{
      "format", "idx",
      "idx ({train,t10k}-*-ubyte[.gz]), cifar (the binary batches of CIFAR-10 or -100), or "
      "image_folder (a sub-directory per class; train/ and test/ sub-directories if split).",
      Choices{data::kDatasetFormats}};
  static constexpr Param<std::string> kDir{"dir", "/usr/share/datasets/fashion-mnist",
                                           "The data set's directory."};
  static constexpr Param<std::string> kSplit{"split", "train", "train or test.",
                                             Choices{"train|test"}};
  static constexpr Param<int64_t> kLimit{"limit", 0, "At most this many examples (0: all).",
                                         Range{0, 1e9}};
  static constexpr Param<int64_t> kChannels{
      "channels", 0, "Convert to 1 (grey) or 3 (RGB) channels (0: as stored; image folders 3).",
      Range{0, 3}};
  static constexpr Param<int64_t> kHeight{"height", 0, "Resize to this height (0: as stored).",
                                          Range{0, 4096}};
  static constexpr Param<int64_t> kWidth{"width", 0, "Resize to this width (0: as stored).",
                                         Range{0, 4096}};
  static constexpr Param<double> kHoldout{
      "holdout", 0.2,
      "Image folders without train/ and test/: the share of each class that is the test split "
      "(the same files every time, chosen by a hash of their names).",
      Range{0, 1}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Reads a data set given its directory and format.", kDataset,
                           kFormat, kDir, kSplit, kLimit, kChannels, kHeight, kWidth, kHoldout);
  }

  Status Process(Context& ctx) override {
    if (ctx.Get(kChannels) == 2) return InvalidArgumentError("channels must be 0, 1 or 3");
    data::DatasetSource source{ctx.Get(kFormat), ctx.Get(kDir),      ctx.Get(kSplit),
                               ctx.Get(kLimit),  ctx.Get(kChannels), ctx.Get(kHeight),
                               ctx.Get(kWidth),  ctx.Get(kHoldout)};
    SM_ASSIGN_OR_RETURN(Dataset dataset, data::LoadDataset(source));
    ctx.Info("read " + dataset.images().ShapeString() + " (" + ctx.Get(kFormat) + ") from " +
             ctx.Get(kDir));
    return ctx.Set(kDataset, dataset);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::LoadDataset, dataset, load)
