// Value types that flow between plugins as artifacts. Each has a type name (checked when
// a pipeline is validated), Encode() to bytes and a Decode() that reports malformed input
// with its offset. LibTorch-free on purpose: plugins convert with plugins/common helpers.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "securemark/status.h"

namespace securemark {

enum class DType : uint8_t {
  kUInt8 = 0,
  kInt8 = 1,
  kInt32 = 2,
  kInt64 = 3,
  kFloat32 = 4,
  kFloat64 = 5
};

std::string_view DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kUInt8;
};
template <>
struct DTypeOf<int8_t> {
  static constexpr DType value = DType::kInt8;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kInt32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kInt64;
};
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kFloat64;
};

// A dense row-major array with little-endian elements.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);

  template <typename T>
  static Tensor FromVector(std::vector<int64_t> shape, const std::vector<T>& values);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  int64_t numel() const;
  size_t nbytes() const { return bytes_.size(); }

  // Typed views; T must match dtype() (checked in debug builds).
  template <typename T>
  const T* data() const;
  template <typename T>
  T* mutable_data();
  const std::string& bytes() const { return bytes_; }
  const char* raw_data() const { return bytes_.data(); }
  char* mutable_raw_data() { return bytes_.data(); }

  std::string ShapeString() const;  // "uint8[60000,28,28]"

 private:
  friend class TensorMap;  // decodes straight into the members

  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  std::string bytes_;
};

// Named tensors plus string attributes: the wire form of datasets and other bundles.
class TensorMap {
 public:
  static constexpr std::string_view kTypeName = "Tensors";

  void Put(std::string name, Tensor tensor) { tensors_[std::move(name)] = std::move(tensor); }
  bool Has(std::string_view name) const { return tensors_.count(std::string(name)) > 0; }
  StatusOr<const Tensor*> Get(std::string_view name) const;
  const std::map<std::string, Tensor>& tensors() const { return tensors_; }

  void SetAttr(std::string key, std::string value) { attrs_[std::move(key)] = std::move(value); }
  std::string Attr(std::string_view key, std::string fallback = "") const;
  const std::map<std::string, std::string>& attrs() const { return attrs_; }

  std::string Encode() const;
  static StatusOr<TensorMap> Decode(std::string_view bytes);

 private:
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::string> attrs_;
};

// Labelled examples: "images" (N × ... , uint8 or float32) and "labels" (int64[N]).
class Dataset : public TensorMap {
 public:
  static constexpr std::string_view kTypeName = "Dataset";

  Dataset() = default;
  explicit Dataset(TensorMap map) : TensorMap(std::move(map)) {}

  const Tensor& images() const;
  const Tensor& labels() const;
  int64_t size() const { return labels().numel(); }

  // Checks that images and labels exist and agree on N; Decode() calls it too.
  Status Validate() const;
  static StatusOr<Dataset> Decode(std::string_view bytes);
};

// A JSON document (reports, tables, metadata) kept as text.
class JsonDocument {
 public:
  static constexpr std::string_view kTypeName = "Json";

  JsonDocument() = default;
  explicit JsonDocument(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }

  std::string Encode() const { return text_; }
  static StatusOr<JsonDocument> Decode(std::string_view bytes);  // checks it parses

 private:
  std::string text_;
};

// Opaque bytes (model files, archives) with a media type attribute.
class Blob {
 public:
  static constexpr std::string_view kTypeName = "Blob";

  Blob() = default;
  explicit Blob(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& bytes() const { return bytes_; }

  std::string Encode() const { return bytes_; }
  static StatusOr<Blob> Decode(std::string_view bytes) { return Blob(std::string(bytes)); }

 private:
  std::string bytes_;
};

// ---- implementation of the templates ----

template <typename T>
Tensor Tensor::FromVector(std::vector<int64_t> shape, const std::vector<T>& values) {
  Tensor t(DTypeOf<T>::value, std::move(shape));
  std::copy(values.begin(), values.begin() + std::min<int64_t>(t.numel(), values.size()),
            t.mutable_data<T>());
  return t;
}

template <typename T>
const T* Tensor::data() const {
  assert(DTypeOf<T>::value == dtype_);
  return reinterpret_cast<const T*>(bytes_.data());
}

template <typename T>
T* Tensor::mutable_data() {
  assert(DTypeOf<T>::value == dtype_);
  return reinterpret_cast<T*>(bytes_.data());
}

}  // namespace securemark
