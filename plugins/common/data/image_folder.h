// Image-folder datasets (LFW-style): one sub-directory per class, PNG or JPEG files in it.
// Classes are the sub-directory names in sorted order; images are decoded, converted to
// the requested channels and resized (nearest neighbour) to one size.
#pragma once

#include <functional>
#include <string>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::data {

struct ImageFolderOptions {
  int64_t height = 0;  // 0: the size of the first image; then all must match
  int64_t width = 0;
  int64_t channels = 3;         // 1 (grey) or 3 (RGB)
  int64_t limit_per_class = 0;  // 0: all
  // Reads only the files this accepts (given "class/file.png"); empty: all.
  std::function<bool(const std::string&)> select;
};

// images uint8 [N, C, H, W], labels int64 [N]; attribute "class_names" (one per line).
StatusOr<Dataset> ReadImageFolder(const std::string& root, const ImageFolderOptions& options);

// An image as interleaved uint8 pixels (H × W × C).
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::string pixels;
};

// Decodes PNG or JPEG (by content, not extension) into `channels` channels.
StatusOr<Image> DecodeImageFile(const std::string& path, int64_t channels);
// The same from bytes held in memory; `what` names them in errors.
StatusOr<Image> DecodePngBytes(const std::string& what, const std::string& bytes, int64_t channels);
Status WritePng(const std::string& path, const Image& image);
// The PNG file's bytes, for storing images as artifacts.
StatusOr<std::string> EncodePng(const Image& image);
Status WriteJpeg(const std::string& path, const Image& image, int quality = 90);

}  // namespace securemark::data
