// dataset.idx: images and labels from IDX files (MNIST, Fashion-MNIST) into a Dataset.
#include <filesystem>

#include "data/idx_reader.h"
#include "securemark/node.h"

namespace securemark {
namespace {
namespace fs = std::filesystem;

// Files are looked up with and without .gz, as distributions ship either.
StatusOr<std::string> FindFile(const std::string& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    fs::path p = fs::path(dir) / (stem + suffix);
    if (fs::exists(p)) return p.string();
  }
  return NotFoundError("no " + stem + "[.gz] in " + dir +
                       " (for Fashion-MNIST install the Debian package dataset-fashion-mnist)");
}

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
    const std::string prefix = ctx.Get(kSplit) == "train" ? "train" : "t10k";
    std::string images_path = ctx.Get(kImages);
    std::string labels_path = ctx.Get(kLabels);
    if (images_path.empty()) {
      SM_ASSIGN_OR_RETURN(images_path, FindFile(ctx.Get(kDir), prefix + "-images-idx3-ubyte"));
    }
    if (labels_path.empty()) {
      SM_ASSIGN_OR_RETURN(labels_path, FindFile(ctx.Get(kDir), prefix + "-labels-idx1-ubyte"));
    }
    SM_ASSIGN_OR_RETURN(Dataset dataset,
                        data::ReadIdxDataset(images_path, labels_path, ctx.Get(kLimit)));
    dataset.SetAttr("name", fs::path(ctx.Get(kDir)).filename().string() + "/" + ctx.Get(kSplit));
    ctx.Info("read " + dataset.images().ShapeString() + " from " + images_path);
    return ctx.Set(kDataset, dataset);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::IdxDataset, dataset, idx)
