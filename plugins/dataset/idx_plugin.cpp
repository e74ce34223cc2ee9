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
    const int64_t limit = ctx.Get(kLimit);
    SM_ASSIGN_OR_RETURN(Tensor images, data::ReadIdxFile(images_path, limit));
    ctx.Progress(1, 2, "file");
    SM_ASSIGN_OR_RETURN(Tensor raw_labels, data::ReadIdxFile(labels_path, limit));
    ctx.Progress(2, 2, "file");
    if (raw_labels.shape().size() != 1 || raw_labels.dtype() != DType::kUInt8) {
      return InvalidArgumentError(labels_path + ": labels must be a 1-D uint8 IDX array, got " +
                                  raw_labels.ShapeString());
    }
    if (raw_labels.dim(0) != images.dim(0)) {
      return InvalidArgumentError(images_path + " holds " + std::to_string(images.dim(0)) +
                                  " images but " + labels_path + " holds " +
                                  std::to_string(raw_labels.dim(0)) + " labels");
    }
    Tensor labels(DType::kInt64, {raw_labels.dim(0)});
    int64_t classes = 0;
    for (int64_t i = 0; i < labels.numel(); ++i) {
      labels.mutable_data<int64_t>()[i] = raw_labels.data<uint8_t>()[i];
      classes = std::max<int64_t>(classes, raw_labels.data<uint8_t>()[i] + 1);
    }
    Dataset dataset;
    dataset.Put("images", std::move(images));
    dataset.Put("labels", std::move(labels));
    dataset.SetAttr("name", fs::path(ctx.Get(kDir)).filename().string() + "/" + ctx.Get(kSplit));
    dataset.SetAttr("classes", std::to_string(classes));
    dataset.SetAttr("images_file", images_path);
    dataset.SetAttr("labels_file", labels_path);
    ctx.Info("read " + dataset.images().ShapeString() + " from " + images_path);
    return ctx.Set(kDataset, dataset);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::IdxDataset, dataset, idx)
