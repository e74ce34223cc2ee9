#include "data/image_folder.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <jpeglib.h>
#include <png.h>

#include "securemark/files.h"

namespace securemark::data {
namespace {
namespace fs = std::filesystem;

StatusOr<Image> DecodePng(const std::string& path, const std::string& bytes, int64_t channels) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return DataLossError(path + ": not a readable PNG: " + image.message);
  }
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image out{image.height, image.width, channels, std::string(PNG_IMAGE_SIZE(image), '\0')};
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    std::string why = image.message;
    png_image_free(&image);
    return DataLossError(path + ": corrupt PNG: " + why);
  }
  return out;
}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnJpegError(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

StatusOr<Image> DecodeJpeg(const std::string& path, const std::string& bytes, int64_t channels) {
  jpeg_decompress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = OnJpegError;
  Image out;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    return DataLossError(path + ": corrupt JPEG: " + error.message);
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&info, TRUE);
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  out = Image{
      info.output_height, info.output_width, channels,
      std::string(static_cast<size_t>(info.output_height) * info.output_width * channels, '\0')};
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = reinterpret_cast<JSAMPROW>(out.pixels.data() +
                                              info.output_scanline * info.output_width * channels);
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return out;
}

// Nearest-neighbour resize into [C, H, W] planes.
void ToPlanes(const Image& in, int64_t height, int64_t width, uint8_t* out) {
  for (int64_t c = 0; c < in.channels; ++c) {
    for (int64_t y = 0; y < height; ++y) {
      const int64_t sy = y * in.height / height;
      for (int64_t x = 0; x < width; ++x) {
        const int64_t sx = x * in.width / width;
        out[(c * height + y) * width + x] =
            static_cast<uint8_t>(in.pixels[(sy * in.width + sx) * in.channels + c]);
      }
    }
  }
}

}  // namespace

StatusOr<Image> DecodePngBytes(const std::string& what, const std::string& bytes,
                               int64_t channels) {
  return DecodePng(what, bytes, channels);
}

StatusOr<Image> DecodeImageFile(const std::string& path, int64_t channels) {
  if (channels != 1 && channels != 3) return InvalidArgumentError("images have 1 or 3 channels");
  SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  if (bytes.size() >= 8 &&
      png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0) {
    return DecodePng(path, bytes, channels);
  }
  if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
      static_cast<uint8_t>(bytes[1]) == 0xD8) {
    return DecodeJpeg(path, bytes, channels);
  }
  return InvalidArgumentError(path + ": neither PNG nor JPEG (by its first bytes)");
}

StatusOr<Dataset> ReadImageFolder(const std::string& root, const ImageFolderOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return NotFoundError(root + ": no such directory");
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) classes.push_back(entry.path().filename().string());
  }
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) return InvalidArgumentError(root + ": no class sub-directories");
  std::vector<std::pair<std::string, int64_t>> files;
  for (size_t label = 0; label < classes.size(); ++label) {
    std::vector<std::string> in_class;
    for (const auto& entry : fs::directory_iterator(fs::path(root) / classes[label], ec)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (!entry.is_regular_file() || (ext != ".png" && ext != ".jpg" && ext != ".jpeg")) continue;
      if (o.select && !o.select(classes[label] + "/" + entry.path().filename().string())) continue;
      in_class.push_back(entry.path().string());
    }
    std::sort(in_class.begin(), in_class.end());
    if (o.limit_per_class > 0 && static_cast<int64_t>(in_class.size()) > o.limit_per_class) {
      in_class.resize(o.limit_per_class);
    }
    for (auto& f : in_class) files.emplace_back(std::move(f), static_cast<int64_t>(label));
  }
  if (files.empty())
    return InvalidArgumentError(root + ": no PNG or JPEG files in the class directories");
  int64_t height = o.height, width = o.width;
  const bool resize = height > 0 && width > 0;
  Tensor images, labels(DType::kInt64, {static_cast<int64_t>(files.size())});
  for (size_t i = 0; i < files.size(); ++i) {
    SM_ASSIGN_OR_RETURN(Image image, DecodeImageFile(files[i].first, o.channels));
    if (i == 0) {
      if (!resize) {
        height = image.height;
        width = image.width;
      }
      images =
          Tensor(DType::kUInt8, {static_cast<int64_t>(files.size()), o.channels, height, width});
    }
    if (!resize && (image.height != height || image.width != width)) {
      return InvalidArgumentError(files[i].first + " is " + std::to_string(image.width) + "x" +
                                  std::to_string(image.height) + " but earlier images are " +
                                  std::to_string(width) + "x" + std::to_string(height) +
                                  "; set height and width to resize");
    }
    ToPlanes(image, height, width,
             images.mutable_data<uint8_t>() + i * o.channels * height * width);
    labels.mutable_data<int64_t>()[i] = files[i].second;
  }
  Dataset d;
  d.Put("images", std::move(images));
  d.Put("labels", std::move(labels));
  std::string names;
  for (const auto& c : classes) names += c + "\n";
  d.SetAttr("class_names", names);
  d.SetAttr("classes", std::to_string(classes.size()));
  return d;
}

Status WritePng(const std::string& path, const Image& image) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&png, path.c_str(), 0, image.pixels.data(), 0, nullptr)) {
    return PermissionDeniedError(path + ": cannot write PNG: " + png.message);
  }
  return OkStatus();
}

StatusOr<std::string> EncodePng(const Image& image) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    return InternalError(std::string("cannot encode PNG: ") + png.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr))
    return InternalError(std::string("cannot encode PNG: ") + png.message);
  bytes.resize(size);
  return bytes;
}

Status WriteJpeg(const std::string& path, const Image& image, int quality) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return PermissionDeniedError(path + ": cannot open for writing");
  jpeg_compress_struct info;
  jpeg_error_mgr error;
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_width = static_cast<JDIMENSION>(image.width);
  info.image_height = static_cast<JDIMENSION>(image.height);
  info.input_components = static_cast<int>(image.channels);
  info.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = reinterpret_cast<JSAMPROW>(const_cast<char*>(image.pixels.data()) +
                                              info.next_scanline * image.width * image.channels);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
  return OkStatus();
}

}  // namespace securemark::data
