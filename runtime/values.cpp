#include "securemark/values.h"

#include "securemark/typed.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace securemark {
namespace {

constexpr char kTensorMapMagic[4] = {'S', 'M', 'T', 'M'};
constexpr uint32_t kTensorMapVersion = 1;
// Refuse absurd headers before allocating: no tensor here has more dimensions or names.
constexpr uint32_t kMaxDims = 16;
constexpr uint32_t kMaxEntries = 1u << 20;
constexpr uint32_t kMaxNameLength = 1u << 16;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the tensor codec assumes little-endian");

class Writer {
 public:
  template <typename T>
  void Put(T value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void PutBytes(std::string_view s) { out_.append(s.data(), s.size()); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  template <typename T>
  Status Get(T& value, std::string_view what) {
    if (in_.size() - pos_ < sizeof(T)) return Truncated(what, sizeof(T));
    std::memcpy(&value, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return OkStatus();
  }
  Status GetString(std::string& value, std::string_view what) {
    uint32_t n = 0;
    SM_RETURN_IF_ERROR(Get(n, what));
    if (n > kMaxNameLength) return Corrupt(std::string(what) + " length " + std::to_string(n));
    return GetBytes(value, n, what);
  }
  Status GetBytes(std::string& value, uint64_t n, std::string_view what) {
    if (in_.size() - pos_ < n) return Truncated(what, n);
    value.assign(in_.data() + pos_, n);
    pos_ += n;
    return OkStatus();
  }
  size_t pos() const { return pos_; }
  bool done() const { return pos_ == in_.size(); }

  Status Truncated(std::string_view what, uint64_t need) const {
    return DataLossError("truncated tensor data at offset " + std::to_string(pos_) + ": " +
                         std::string(what) + " needs " + std::to_string(need) + " bytes, " +
                         std::to_string(in_.size() - pos_) + " left");
  }
  Status Corrupt(const std::string& what) const {
    return DataLossError("corrupt tensor data at offset " + std::to_string(pos_) + ": " + what);
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
    case DType::kInt8:
      return 1;
    case DType::kInt32:
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
    case DType::kFloat64:
      return 8;
  }
  return 0;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  const int64_t n = numel();
  if (n < 0 || static_cast<uint64_t>(n) > (uint64_t{1} << 48) / DTypeSize(dtype_))
    throw std::length_error("tensor shape " + ShapeString() + " is too large or negative");
  bytes_.assign(static_cast<size_t>(n) * DTypeSize(dtype_), '\0');
}

// -1 when the product does not fit (readers bound shapes before building tensors).
int64_t Tensor::numel() const {
  if (std::find(shape_.begin(), shape_.end(), 0) != shape_.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape_) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  }
  return n;
}

std::string Tensor::ShapeString() const {
  std::string s(DTypeName(dtype_));
  s += '[';
  for (size_t i = 0; i < shape_.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape_[i]);
  }
  return s + ']';
}

StatusOr<const Tensor*> TensorMap::Get(std::string_view name) const {
  auto it = tensors_.find(std::string(name));
  if (it == tensors_.end()) return NotFoundError("no tensor named '" + std::string(name) + "'");
  return &it->second;
}

std::string TensorMap::Attr(std::string_view key, std::string fallback) const {
  auto it = attrs_.find(std::string(key));
  return it == attrs_.end() ? fallback : it->second;
}

std::string TensorMap::Encode() const {
  Writer w;
  w.PutBytes(std::string_view(kTensorMapMagic, 4));
  w.Put<uint32_t>(kTensorMapVersion);
  w.Put<uint32_t>(static_cast<uint32_t>(attrs_.size()));
  for (const auto& [key, value] : attrs_) {
    w.PutString(key);
    w.PutString(value);
  }
  w.Put<uint32_t>(static_cast<uint32_t>(tensors_.size()));
  for (const auto& [name, t] : tensors_) {
    w.PutString(name);
    w.Put<uint8_t>(static_cast<uint8_t>(t.dtype()));
    w.Put<uint32_t>(static_cast<uint32_t>(t.shape().size()));
    for (int64_t d : t.shape()) w.Put<int64_t>(d);
    w.Put<uint64_t>(t.nbytes());
    w.PutBytes(t.bytes());
  }
  return w.Take();
}

StatusOr<TensorMap> TensorMap::Decode(std::string_view bytes) {
  Reader r(bytes);
  std::string magic;
  SM_RETURN_IF_ERROR(r.GetBytes(magic, 4, "magic"));
  if (magic != std::string_view(kTensorMapMagic, 4)) {
    return DataLossError("not a securemark tensor bundle (bad magic at offset 0)");
  }
  uint32_t version = 0;
  SM_RETURN_IF_ERROR(r.Get(version, "version"));
  if (version != kTensorMapVersion) {
    return FailedPreconditionError("tensor bundle format version " + std::to_string(version) +
                                   " is not supported (expected " +
                                   std::to_string(kTensorMapVersion) + ")");
  }
  TensorMap map;
  uint32_t n_attrs = 0;
  SM_RETURN_IF_ERROR(r.Get(n_attrs, "attribute count"));
  if (n_attrs > kMaxEntries) return r.Corrupt("attribute count " + std::to_string(n_attrs));
  for (uint32_t i = 0; i < n_attrs; ++i) {
    std::string key, value;
    SM_RETURN_IF_ERROR(r.GetString(key, "attribute name"));
    SM_RETURN_IF_ERROR(r.GetString(value, "attribute value"));
    map.attrs_[key] = value;
  }
  uint32_t n_tensors = 0;
  SM_RETURN_IF_ERROR(r.Get(n_tensors, "tensor count"));
  if (n_tensors > kMaxEntries) return r.Corrupt("tensor count " + std::to_string(n_tensors));
  for (uint32_t i = 0; i < n_tensors; ++i) {
    std::string name;
    SM_RETURN_IF_ERROR(r.GetString(name, "tensor name"));
    uint8_t dtype = 0;
    SM_RETURN_IF_ERROR(r.Get(dtype, "dtype"));
    if (dtype > static_cast<uint8_t>(DType::kFloat64)) {
      return r.Corrupt("tensor '" + name + "' has unknown dtype " + std::to_string(dtype));
    }
    uint32_t ndim = 0;
    SM_RETURN_IF_ERROR(r.Get(ndim, "rank"));
    if (ndim > kMaxDims) return r.Corrupt("tensor '" + name + "' rank " + std::to_string(ndim));
    std::vector<int64_t> shape(ndim);
    uint64_t numel = 1;
    for (auto& d : shape) {
      SM_RETURN_IF_ERROR(r.Get(d, "dimension"));
      if (d < 0) return r.Corrupt("tensor '" + name + "' has a negative dimension");
      if (d > 0 && numel > (uint64_t{1} << 48) / static_cast<uint64_t>(d)) {
        return r.Corrupt("tensor '" + name + "' is implausibly large");
      }
      numel *= static_cast<uint64_t>(d);
    }
    uint64_t nbytes = 0;
    SM_RETURN_IF_ERROR(r.Get(nbytes, "byte count"));
    const uint64_t expected = numel * DTypeSize(static_cast<DType>(dtype));
    if (nbytes != expected) {
      return r.Corrupt("tensor '" + name + "' declares " + std::to_string(nbytes) +
                       " bytes but its shape needs " + std::to_string(expected));
    }
    Tensor t;
    t.dtype_ = static_cast<DType>(dtype);
    t.shape_ = std::move(shape);
    SM_RETURN_IF_ERROR(r.GetBytes(t.bytes_, nbytes, "tensor '" + name + "' data"));
    map.tensors_[name] = std::move(t);
  }
  if (!r.done()) return r.Corrupt("trailing bytes after the last tensor");
  return map;
}

const Tensor& Dataset::images() const { return *Get("images").value(); }
const Tensor& Dataset::labels() const { return *Get("labels").value(); }

Status Dataset::Validate() const {
  if (!Has("images")) return InvalidArgumentError("dataset has no 'images' tensor");
  if (!Has("labels")) return InvalidArgumentError("dataset has no 'labels' tensor");
  const Tensor& labels = this->labels();
  const Tensor& images = this->images();
  if (labels.dtype() != DType::kInt64 || labels.shape().size() != 1) {
    return InvalidArgumentError("dataset labels must be int64[N], got " + labels.ShapeString());
  }
  if (images.shape().empty() || images.dim(0) != labels.dim(0)) {
    return InvalidArgumentError("dataset images " + images.ShapeString() + " do not match labels " +
                                labels.ShapeString());
  }
  return OkStatus();
}

StatusOr<Dataset> Dataset::Decode(std::string_view bytes) {
  SM_ASSIGN_OR_RETURN(TensorMap map, TensorMap::Decode(bytes));
  Dataset dataset(std::move(map));
  SM_RETURN_IF_ERROR(dataset.Validate());
  return dataset;
}

StatusOr<JsonDocument> JsonDocument::Decode(std::string_view bytes) {
  if (!nlohmann::json::accept(bytes)) return DataLossError("value is not valid JSON");
  return JsonDocument(std::string(bytes));
}

std::string_view BaseTypeOf(std::string_view type) {
  const size_t slash = type.find('/');
  return slash == std::string_view::npos ? type : type.substr(0, slash);
}

bool PortTypeAccepts(std::string_view input_type, std::string_view output_type) {
  if (input_type == output_type) return true;
  // A base type takes its refinements; a refinement takes only itself.
  return input_type.find('/') == std::string_view::npos && BaseTypeOf(output_type) == input_type;
}

bool StoredTypeAccepted(std::string_view input_type, std::string_view stored_type) {
  return PortTypeAccepts(input_type, stored_type) || stored_type == BaseTypeOf(input_type);
}

}  // namespace securemark
