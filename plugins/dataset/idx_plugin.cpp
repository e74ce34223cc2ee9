// dataset.idx: images and labels from IDX files (MNIST, Fashion-MNIST) into a Dataset.
#include <filesystem>

#include "data/dataset_source.h"
#include "data/idx_reader.h"
#include "securemark/node.h"

namespace securemark {
namespace {
namespace fs = std::filesystem;

class IdxDataset : public Node {
 public:
  static constexpr Output<Dataset> kDataset{"dataset", "Images uint8[N,H,W] and labels int64[N]."};
  static constexpr Param<std::string> kDir{"dir", "/usr/share/datasets/fashion-mnist",
                                           "Directory holding the standard IDX file names."};
  static constexpr Param<std::string> kSplit{
      "split", "train", "train (train-*) or test (t10k-*) files.", Choices{"train|test"}};
  static constexpr Param<std::string> kImages{"images", "", "Images file; overrides dir/split."};
  static constexpr Param<std::string> kLabels{"labels", "", "Labels file; overrides dir/split."};
  static constexpr Param<int64_t> kLimit{"limit", 0, "Read only the first N examples (0 = all).",
                                         Range{0, 1e9}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Reads IDX images and labels (Fashion-MNIST by default).",
                           kDataset, kDir, kSplit, kImages, kLabels, kLimit);
  }

  Status Process(Context& ctx) override {
    if (ctx.Get(kImages).empty() != ctx.Get(kLabels).empty())
      return InvalidArgumentError("give both 'images' and 'labels', or neither (then dir/split)");
    Dataset dataset;
    if (ctx.Get(kImages).empty()) {
      SM_ASSIGN_OR_RETURN(
          dataset, data::LoadDataset({"idx", ctx.Get(kDir), ctx.Get(kSplit), ctx.Get(kLimit)}));
    } else {
      SM_ASSIGN_OR_RETURN(
          dataset, data::ReadIdxDataset(ctx.Get(kImages), ctx.Get(kLabels), ctx.Get(kLimit)));
      dataset.SetAttr("name", fs::path(ctx.Get(kImages)).filename().string());
    }
    ctx.Info("read " + dataset.images().ShapeString() + " (" + dataset.Attr("name") + ")");
    return ctx.Set(kDataset, dataset);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::IdxDataset, dataset, idx)
