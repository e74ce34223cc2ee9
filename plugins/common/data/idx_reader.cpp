#include "data/idx_reader.h"

#include <cstring>

#include <zlib.h>

#include "securemark/files.h"

namespace securemark::data {
namespace {

struct IdxType {
  uint8_t code;
  size_t size;  // bytes per element in the file
  DType dtype;  // in memory
};

constexpr IdxType kIdxTypes[] = {
    {0x08, 1, DType::kUInt8}, {0x09, 1, DType::kInt8},    {0x0B, 2, DType::kInt32},
    {0x0C, 4, DType::kInt32}, {0x0D, 4, DType::kFloat32}, {0x0E, 8, DType::kFloat64},
};

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string Hex(unsigned char c) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

// Copies `count` big-endian elements of `size` bytes into little-endian memory of the
// in-memory dtype (int16 sign-extends into int32).
void ConvertElements(const unsigned char* in, size_t count, const IdxType& type, char* out) {
  if (type.size == 1) {
    std::memcpy(out, in, count);
    return;
  }
  if (type.code == 0x0B) {
    auto* dst = reinterpret_cast<int32_t*>(out);
    for (size_t i = 0; i < count; ++i) {
      dst[i] = static_cast<int16_t>((uint16_t{in[2 * i]} << 8) | in[2 * i + 1]);
    }
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    for (size_t b = 0; b < type.size; ++b)
      out[i * type.size + b] = in[i * type.size + type.size - 1 - b];
  }
}

}  // namespace

StatusOr<std::string> MaybeGunzip(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return std::string(bytes);
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return InternalError("zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
      inflateEnd(&zs);
      return DataLossError(source + ": truncated gzip stream (ends at compressed offset " +
                           std::to_string(bytes.size()) + " after " + std::to_string(out.size()) +
                           " uncompressed bytes)");
    }
    if (rc != Z_OK) {
      std::string why = zs.msg ? zs.msg : "error " + std::to_string(rc);
      size_t offset = bytes.size() - zs.avail_in;
      inflateEnd(&zs);
      return DataLossError(source + ": corrupt gzip stream at compressed offset " +
                           std::to_string(offset) + ": " + why);
    }
  }
  inflateEnd(&zs);
  return out;
}

StatusOr<Tensor> ParseIdx(std::string_view bytes, const std::string& source, int64_t limit) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4) {
    return DataLossError(source + ": truncated IDX header at offset 0: needs 4 bytes, file has " +
                         std::to_string(bytes.size()));
  }
  if (p[0] != 0 || p[1] != 0) {
    return DataLossError(source + ": not an IDX file: bytes at offset 0 are " + Hex(p[0]) + " " +
                         Hex(p[1]) + ", expected 0x00 0x00");
  }
  const IdxType* type = nullptr;
  for (const auto& t : kIdxTypes) {
    if (t.code == p[2]) type = &t;
  }
  if (type == nullptr) {
    return DataLossError(source + ": unknown IDX element type " + Hex(p[2]) + " at offset 2");
  }
  const size_t ndim = p[3];
  if (ndim == 0) return DataLossError(source + ": IDX rank 0 at offset 3");
  const size_t header = 4 + 4 * ndim;
  if (bytes.size() < header) {
    return DataLossError(source + ": truncated IDX header at offset 4: " + std::to_string(ndim) +
                         " dimensions need " + std::to_string(header) + " bytes, file has " +
                         std::to_string(bytes.size()));
  }
  std::vector<int64_t> shape(ndim);
  uint64_t item_elements = 1;
  for (size_t i = 0; i < ndim; ++i) {
    shape[i] = BigEndian32(p + 4 + 4 * i);
    // An item with no elements would make any item count "fit" in no bytes at all.
    if (i > 0 && shape[i] == 0) {
      return DataLossError(source + ": IDX dimension " + std::to_string(i) + " is 0 at offset " +
                           std::to_string(4 + 4 * i));
    }
    if (i > 0) item_elements *= static_cast<uint64_t>(shape[i]);
    if (item_elements > (uint64_t{1} << 32)) {
      return DataLossError(source + ": implausible IDX dimension at offset " +
                           std::to_string(4 + 4 * i));
    }
  }
  const int64_t items = limit > 0 ? std::min<int64_t>(limit, shape[0]) : shape[0];
  const uint64_t item_bytes = item_elements * type->size;
  const uint64_t available = bytes.size() - header;
  // Compared by division: items * item_bytes can overflow for a forged header.
  if (item_bytes != 0 && static_cast<uint64_t>(items) > available / item_bytes) {
    const uint64_t complete = item_bytes ? available / item_bytes : 0;
    return DataLossError(source + ": truncated IDX data at offset " +
                         std::to_string(header + complete * item_bytes) + ": item " +
                         std::to_string(complete) + " of " + std::to_string(shape[0]) + " needs " +
                         std::to_string(item_bytes) + " bytes, file ends at offset " +
                         std::to_string(bytes.size()));
  }
  if (limit == 0 && available > static_cast<uint64_t>(items) * item_bytes) {
    return DataLossError(source + ": " + std::to_string(available - items * item_bytes) +
                         " unexpected bytes after the data at offset " +
                         std::to_string(header + items * item_bytes));
  }
  shape[0] = items;
  Tensor tensor(type->dtype, shape);
  ConvertElements(p + header, static_cast<size_t>(items * item_elements), *type,
                  tensor.mutable_raw_data());
  return tensor;
}

StatusOr<Tensor> ReadIdxFile(const std::string& path, int64_t limit) {
  SM_ASSIGN_OR_RETURN(std::string raw, ReadFile(path));
  SM_ASSIGN_OR_RETURN(std::string bytes, MaybeGunzip(raw, path));
  return ParseIdx(bytes, path, limit);
}

StatusOr<Dataset> ReadIdxDataset(const std::string& images_path, const std::string& labels_path,
                                 int64_t limit) {
  SM_ASSIGN_OR_RETURN(Tensor images, ReadIdxFile(images_path, limit));
  // A labels file given as the images would read as N one-pixel "images".
  if (images.shape().size() < 3) {
    return InvalidArgumentError(images_path + ": images must be an IDX array of rank 3 or more " +
                                "([N, H, W] or [N, C, H, W]), got " + images.ShapeString() +
                                " (a labels file?)");
  }
  SM_ASSIGN_OR_RETURN(Tensor raw_labels, ReadIdxFile(labels_path, limit));
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
  dataset.SetAttr("classes", std::to_string(classes));
  dataset.SetAttr("images_file", images_path);
  dataset.SetAttr("labels_file", labels_path);
  return dataset;
}

Status WriteIdxFile(const std::string& path, const Tensor& tensor, bool gzip) {
  uint8_t code = 0;
  for (const auto& t : kIdxTypes) {
    if (t.dtype == tensor.dtype() && t.code != 0x0B) code = t.code;
  }
  if (code == 0) return InvalidArgumentError("IDX cannot hold " + tensor.ShapeString());
  std::string out = {0, 0, static_cast<char>(code), static_cast<char>(tensor.shape().size())};
  for (int64_t d : tensor.shape()) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  }
  const size_t size = DTypeSize(tensor.dtype());
  const std::string& data = tensor.bytes();
  for (size_t i = 0; i < data.size(); i += size) {
    for (size_t b = 0; b < size; ++b) out += data[i + size - 1 - b];
  }
  if (!gzip) return WriteFileAtomic(path, out);
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) return PermissionDeniedError(path + ": cannot open for writing");
  int written = gzwrite(f, out.data(), static_cast<unsigned>(out.size()));
  gzclose(f);
  if (written != static_cast<int>(out.size())) return DataLossError(path + ": gzip write failed");
  return OkStatus();
}

}  // namespace securemark::data
