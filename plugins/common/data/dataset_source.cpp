#include "data/dataset_source.h"

#include <algorithm>
#include <filesystem>

#include "data/cifar_reader.h"
#include "data/idx_reader.h"
#include "data/image_folder.h"
#include "data/partition.h"

namespace securemark::data {
namespace {
namespace fs = std::filesystem;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool IsDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Distributions ship IDX files compressed or not.
StatusOr<std::string> IdxFile(const std::string& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    const fs::path p = fs::path(dir) / (stem + suffix);
    if (IsFile(p)) return p.string();
  }
  return NotFoundError("format idx: no " + stem + "[.gz] in " + dir +
                       " (for Fashion-MNIST, install the Debian package dataset-fashion-mnist)");
}

StatusOr<Dataset> LoadIdx(const DatasetSource& s) {
  const std::string prefix = s.split == "train" ? "train" : "t10k";
  SM_ASSIGN_OR_RETURN(std::string images, IdxFile(s.dir, prefix + "-images-idx3-ubyte"));
  SM_ASSIGN_OR_RETURN(std::string labels, IdxFile(s.dir, prefix + "-labels-idx1-ubyte"));
  return ReadIdxDataset(images, labels, s.limit);
}

StatusOr<Dataset> LoadCifar(const DatasetSource& s) {
  const bool train = s.split == "train";
  const fs::path dir(s.dir);
  std::vector<std::string> files;
  bool hundred = false;
  if (IsFile(dir / (train ? "train.bin" : "test.bin"))) {
    hundred = true;
    files = {(dir / (train ? "train.bin" : "test.bin")).string()};
  } else if (train) {
    for (int i = 1; i <= 5; ++i) {
      const fs::path p = dir / ("data_batch_" + std::to_string(i) + ".bin");
      if (IsFile(p)) files.push_back(p.string());
    }
  } else if (IsFile(dir / "test_batch.bin")) {
    files = {(dir / "test_batch.bin").string()};
  }
  if (files.empty())
    return NotFoundError("format cifar: " + s.dir + " holds neither CIFAR-10's " +
                         (train ? "data_batch_1..5.bin" : "test_batch.bin") + " nor CIFAR-100's " +
                         (train ? "train.bin" : "test.bin") +
                         " (the binary versions of the data sets)");
  SM_ASSIGN_OR_RETURN(CifarBatch batch,
                      ReadCifarFiles(files, hundred ? 2 : 1, hundred ? 99 : 9, s.limit));
  Dataset d;
  d.Put("images", std::move(batch.images));
  d.Put("labels", std::move(batch.labels));
  d.SetAttr("classes", hundred ? "100" : "10");
  return d;
}

// A stable number in [0, 1) per file name (FNV-1a), so the held-out images stay the same
// when files are added or the folder is copied elsewhere.
double Fraction(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return static_cast<double>(h >> 11) / static_cast<double>(uint64_t{1} << 53);
}

StatusOr<Dataset> LoadImageFolder(const DatasetSource& s) {
  if (!IsDirectory(s.dir))
    return NotFoundError("format image_folder: " + s.dir + " is not a directory");
  ImageFolderOptions o;
  o.height = s.height;
  o.width = s.width;
  o.channels = s.channels > 0 ? s.channels : 3;
  std::string root = s.dir;
  const bool split_folders =
      IsDirectory(fs::path(s.dir) / "train") && IsDirectory(fs::path(s.dir) / "test");
  if (split_folders) {
    root = (fs::path(s.dir) / s.split).string();
  } else {
    if (!(s.holdout > 0 && s.holdout < 1))
      return InvalidArgumentError("format image_folder: " + s.dir +
                                  " has no train/ and test/ sub-directories, so a holdout share "
                                  "in (0, 1) is needed; holdout is " +
                                  std::to_string(s.holdout));
    const bool test = s.split == "test";
    const double holdout = s.holdout;
    o.select = [test, holdout](const std::string& name) {
      return (Fraction(name) < holdout) == test;
    };
  }
  SM_ASSIGN_OR_RETURN(Dataset d, ReadImageFolder(root, o));
  if (s.limit > 0 && d.size() > s.limit) {
    // Classes are read in order; a prefix would hold only the first classes.
    std::vector<int64_t> keep;
    const int64_t n = d.size();
    for (int64_t i = 0; i < s.limit; ++i) keep.push_back(i * n / s.limit);
    return Subset(d, keep);  // keeps the attributes
  }
  return d;
}

}  // namespace

StatusOr<Tensor> ConformImages(const Tensor& images, int64_t channels, int64_t height,
                               int64_t width) {
  const auto& shape = images.shape();
  if (shape.size() != 3 && shape.size() != 4)
    return InvalidArgumentError("images are " + images.ShapeString() +
                                "; expected [N, H, W] or [N, C, H, W]");
  const int64_t n = shape[0];
  const int64_t c = shape.size() == 4 ? shape[1] : 1;
  const int64_t h = shape[shape.size() - 2], w = shape[shape.size() - 1];
  const int64_t to_c = channels > 0 ? channels : c;
  const int64_t to_h = height > 0 ? height : h, to_w = width > 0 ? width : w;
  if (to_c == c && to_h == h && to_w == w) return images;
  if (images.dtype() != DType::kUInt8)
    return InvalidArgumentError("images are " + images.ShapeString() +
                                "; only uint8 images can be converted to [" + std::to_string(to_c) +
                                ", " + std::to_string(to_h) + ", " + std::to_string(to_w) + "]");
  if ((to_c != 1 && to_c != 3) || (c != 1 && c != 3 && c != to_c))
    return InvalidArgumentError("cannot convert images of " + std::to_string(c) + " channels to " +
                                std::to_string(to_c) + " (grey and RGB convert into each other)");
  Tensor out(DType::kUInt8, {n, to_c, to_h, to_w});
  const uint8_t* in = images.data<uint8_t>();
  uint8_t* o = out.mutable_data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = in + i * c * h * w;
    uint8_t* dst = o + i * to_c * to_h * to_w;
    for (int64_t y = 0; y < to_h; ++y) {
      const int64_t sy = y * h / to_h;
      for (int64_t x = 0; x < to_w; ++x) {
        const int64_t sx = x * w / to_w;
        const int64_t at = sy * w + sx;
        if (c == to_c) {
          for (int64_t k = 0; k < c; ++k) dst[(k * to_h + y) * to_w + x] = src[k * h * w + at];
        } else if (c == 1) {  // grey to RGB
          for (int64_t k = 0; k < 3; ++k) dst[(k * to_h + y) * to_w + x] = src[at];
        } else {  // RGB to grey, ITU-R BT.601 luma
          const double luma =
              0.299 * src[at] + 0.587 * src[h * w + at] + 0.114 * src[2 * h * w + at];
          dst[y * to_w + x] = static_cast<uint8_t>(std::min(255.0, luma + 0.5));
        }
      }
    }
  }
  return out;
}

StatusOr<Dataset> LoadDataset(const DatasetSource& s) {
  if (s.dir.empty()) return InvalidArgumentError("no data directory given (dir is empty)");
  if (s.split != "train" && s.split != "test")
    return InvalidArgumentError("split is '" + s.split + "'; expected train or test");
  if ((s.height > 0) != (s.width > 0))
    return InvalidArgumentError("give both height and width to resize images, or neither");
  StatusOr<Dataset> loaded = InvalidArgumentError("format is '" + s.format + "'; expected one of " +
                                                  std::string(kDatasetFormats));
  if (s.format == "idx") loaded = LoadIdx(s);
  if (s.format == "cifar") loaded = LoadCifar(s);
  if (s.format == "image_folder") loaded = LoadImageFolder(s);
  if (!loaded.ok()) return loaded.status();
  Dataset d = *std::move(loaded);
  if (s.format != "image_folder" && (s.channels > 0 || s.height > 0 || s.width > 0)) {
    SM_ASSIGN_OR_RETURN(Tensor images, ConformImages(d.images(), s.channels, s.height, s.width));
    d.Put("images", std::move(images));
  }
  std::string dir = s.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  d.SetAttr("name", fs::path(dir).filename().string() + "/" + s.split);
  d.SetAttr("source", s.format + ":" + s.dir);
  return d;
}

}  // namespace securemark::data
