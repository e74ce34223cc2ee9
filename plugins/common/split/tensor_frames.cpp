#include "split/tensor_frames.h"

#include <cstring>

namespace securemark::split {

using nlohmann::json;

void AddTensor(Message& message, const std::string& name, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().contiguous();
  if (t.scalar_type() != torch::kLong) t = t.to(torch::kFloat);
  if (!message.header.contains("tensors")) message.header["tensors"] = json::array();
  message.header["tensors"].push_back({{"name", name},
                                       {"dtype", t.scalar_type() == torch::kLong ? "i64" : "f32"},
                                       {"shape", t.sizes().vec()}});
  message.payloads.emplace_back(static_cast<const char*>(t.data_ptr()), t.nbytes());
}

StatusOr<std::vector<torch::Tensor>> TensorsOf(const Message& message,
                                               const std::vector<std::string>& expected_names) {
  const json& list = message.header.contains("tensors") ? message.header["tensors"] : json::array();
  if (!list.is_array() || list.size() != message.payloads.size())
    return InvalidArgumentError(
        message.kind + " announces " + std::to_string(list.is_array() ? list.size() : 0) +
        " tensors but carries " + std::to_string(message.payloads.size()) + " payloads");
  if (!expected_names.empty() && list.size() != expected_names.size())
    return InvalidArgumentError(message.kind + " carries " + std::to_string(list.size()) +
                                " tensors, expected " + std::to_string(expected_names.size()));
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& d = list[i];
    if (!d.is_object() || !d.contains("name") || !d["name"].is_string() || !d.contains("dtype") ||
        !d["dtype"].is_string())
      return InvalidArgumentError(message.kind + " tensor " + std::to_string(i) +
                                  " is not described by a name, a dtype and a shape");
    const std::string name = d["name"].get<std::string>();
    if (!expected_names.empty() && name != expected_names[i])
      return InvalidArgumentError(message.kind + " tensor " + std::to_string(i) + " is '" +
                                  name.substr(0, 64) + "', expected '" + expected_names[i] + "'");
    const std::string dtype = d["dtype"].get<std::string>();
    if (dtype != "f32" && dtype != "i64")
      return InvalidArgumentError("tensor '" + name + "' has dtype '" + dtype.substr(0, 16) +
                                  "'; expected f32 or i64");
    if (!d.contains("shape") || !d["shape"].is_array() ||
        d["shape"].size() > static_cast<size_t>(kMaxTensorDims))
      return InvalidArgumentError("tensor '" + name + "' has no shape of at most " +
                                  std::to_string(kMaxTensorDims) + " dimensions");
    std::vector<int64_t> shape;
    int64_t elements = 1;
    for (const json& n : d["shape"]) {
      if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > kMaxTensorElements)
        return InvalidArgumentError("tensor '" + name + "' has a bad dimension " + n.dump());
      shape.push_back(n.get<int64_t>());
      elements *= shape.back();
      if (elements > kMaxTensorElements)
        return InvalidArgumentError("tensor '" + name + "' has more than " +
                                    std::to_string(kMaxTensorElements) + " elements");
    }
    const auto type = dtype == "f32" ? torch::kFloat : torch::kLong;
    const size_t bytes = static_cast<size_t>(elements) * (dtype == "f32" ? 4 : 8);
    if (message.payloads[i].size() != bytes)
      return InvalidArgumentError("tensor '" + name + "' carries " +
                                  std::to_string(message.payloads[i].size()) + " bytes, expected " +
                                  std::to_string(bytes));
    torch::Tensor t = torch::empty(shape, type);
    if (bytes > 0) std::memcpy(t.data_ptr(), message.payloads[i].data(), bytes);
    if (type == torch::kFloat && !torch::isfinite(t).all().item<bool>())
      return InvalidArgumentError("tensor '" + name + "' holds NaN or infinite values");
    out.push_back(std::move(t));
  }
  return out;
}

Tensor ToSdkTensor(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().contiguous();
  if (t.scalar_type() != torch::kLong) t = t.to(torch::kFloat);
  Tensor out(t.scalar_type() == torch::kLong ? DType::kInt64 : DType::kFloat32, t.sizes().vec());
  std::memcpy(out.mutable_raw_data(), t.data_ptr(), t.nbytes());
  return out;
}

StatusOr<torch::Tensor> FromSdkTensor(const Tensor& t) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kFloat32)
    return InvalidArgumentError("expected a float32 or int64 tensor, got " + t.ShapeString());
  torch::Tensor out =
      torch::empty(t.shape(), t.dtype() == DType::kInt64 ? torch::kLong : torch::kFloat);
  std::memcpy(out.data_ptr(), t.raw_data(), t.nbytes());
  return out;
}

Status ExpectShape(const torch::Tensor& t, const std::string& what, std::vector<int64_t> shape) {
  if (t.sizes().vec() == shape) return OkStatus();
  return InvalidArgumentError(what + " has shape " + c10::str(t.sizes()) + ", expected " +
                              c10::str(c10::IntArrayRef(shape)));
}

}  // namespace securemark::split
