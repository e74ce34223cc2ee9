// dataset.image_folder: an LFW-style image folder (one sub-directory per class, PNG or
// JPEG) into a Dataset of uint8 [N, C, H, W].
#include "data/image_folder.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class ImageFolderDataset : public Node {
 public:
  static constexpr Output<Dataset> kDataset{"dataset",
                                            "Images uint8[N,C,H,W], labels int64[N], class_names."};
  static constexpr Param<std::string> kRoot =
      Param<std::string>::Required("root", "Directory of class folders.");
  static constexpr Param<int64_t> kHeight{
      "height", 0, "Resize to this height (0: keep; sizes must match).", Range{0, 4096}};
  static constexpr Param<int64_t> kWidth{"width", 0, "Resize to this width (0: keep).",
                                         Range{0, 4096}};
  static constexpr Param<int64_t> kChannels{"channels", 3, "1 (grey) or 3 (RGB).", Range{1, 3}};
  static constexpr Param<int64_t> kLimit{
      "limit_per_class", 0, "At most this many images per class (0: all).", Range{0, 1e9}};

  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Reads an image folder: one sub-directory per class, PNG or JPEG.",
                           kDataset, kRoot, kHeight, kWidth, kChannels, kLimit);
  }

  Status Process(Context& ctx) override {
    if (ctx.Get(kChannels) == 2) return InvalidArgumentError("channels must be 1 or 3");
    if ((ctx.Get(kHeight) == 0) != (ctx.Get(kWidth) == 0)) {
      return InvalidArgumentError("set both height and width to resize, or neither");
    }
    data::ImageFolderOptions o;
    o.height = ctx.Get(kHeight);
    o.width = ctx.Get(kWidth);
    o.channels = ctx.Get(kChannels);
    o.limit_per_class = ctx.Get(kLimit);
    SM_ASSIGN_OR_RETURN(Dataset d, data::ReadImageFolder(ctx.Get(kRoot), o));
    d.SetAttr("name", ctx.Get(kRoot));
    ctx.Info("read " + d.images().ShapeString() + " in " + d.Attr("classes") + " classes");
    return ctx.Set(kDataset, d);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::ImageFolderDataset, dataset, image_folder)
