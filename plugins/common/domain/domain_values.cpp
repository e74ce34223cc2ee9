#include "domain/domain_values.h"

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace securemark::domain {
namespace {

bool IsFloat(DType d) { return d == DType::kFloat32 || d == DType::kFloat64; }

Status Missing(std::string_view tensor, std::string_view what) {
  return InvalidArgumentError("has no tensor '" + std::string(tensor) + "' (" + std::string(what) +
                              ")");
}

// The tensor `name` with `dims` dimensions (0: any) and a floating-point type.
Status CheckFloat(const TensorMap& value, std::string_view name, size_t dims,
                  std::string_view what) {
  if (!value.Has(name)) return Missing(name, what);
  const Tensor* t = *value.Get(name);
  if (!IsFloat(t->dtype()) || (dims != 0 && t->shape().size() != dims) || t->numel() == 0) {
    return InvalidArgumentError("tensor '" + std::string(name) + "' is " + t->ShapeString() +
                                "; expected " + std::string(what));
  }
  return OkStatus();
}

StatusOr<nlohmann::json> ParseObject(const JsonDocument& doc) {
  nlohmann::json j = nlohmann::json::parse(doc.text(), nullptr, false);
  if (!j.is_object()) return InvalidArgumentError("is not a JSON object");
  return j;
}

Status RequireFields(const nlohmann::json& j, std::initializer_list<const char*> fields) {
  for (const char* f : fields) {
    if (!j.contains(f)) return InvalidArgumentError(std::string("has no field '") + f + "'");
  }
  return OkStatus();
}

}  // namespace

Status ProjectionKeySchema::Check(const TensorMap& value) {
  SM_RETURN_IF_ERROR(CheckFloat(value, kKeyTensor, 2, "float [v, beta]"));
  if (value.Has(kUnitWeightsTensor))
    SM_RETURN_IF_ERROR(CheckFloat(value, kUnitWeightsTensor, 0, "float [units]"));
  return OkStatus();
}

Status BasisSchema::Check(const TensorMap& value) {
  SM_RETURN_IF_ERROR(CheckFloat(value, kBasisTensor, 2, "float [length, length]"));
  const Tensor* basis = *value.Get(kBasisTensor);
  if (basis->dim(0) != basis->dim(1))
    return InvalidArgumentError("tensor 'basis' is " + basis->ShapeString() + "; not square");
  return OkStatus();
}

Status ExtractionSchema::Check(const TensorMap& value) {
  if (!value.Has(kFingerprintTensor) && !value.Has(kCorrelationsTensor))
    return InvalidArgumentError("has neither 'fingerprint' nor 'correlations'");
  if (value.Has(kFingerprintTensor))
    SM_RETURN_IF_ERROR(CheckFloat(value, kFingerprintTensor, 0, "float [v]"));
  if (value.Has(kCorrelationsTensor))
    SM_RETURN_IF_ERROR(CheckFloat(value, kCorrelationsTensor, 0, "float [length]"));
  if (value.Has(kKeyGramTensor))
    SM_RETURN_IF_ERROR(CheckFloat(value, kKeyGramTensor, 2, "float [v, v]"));
  return OkStatus();
}

Status ActivationsSchema::Check(const TensorMap& value) {
  if (!value.Has(kHiddenTensor)) return Missing(kHiddenTensor, "float [N, ...]");
  if (!value.Has(kLabelsTensor)) return Missing(kLabelsTensor, "int64 [N]");
  const Tensor* hidden = *value.Get(kHiddenTensor);
  const Tensor* labels = *value.Get(kLabelsTensor);
  if (hidden->shape().empty() || labels->shape().size() != 1 || hidden->dim(0) != labels->dim(0))
    return InvalidArgumentError("'hidden' is " + hidden->ShapeString() + " but 'labels' is " +
                                labels->ShapeString() + "; expected one label per row");
  return InputShapeOf(value).status();
}

StatusOr<std::vector<int64_t>> InputShapeOf(const TensorMap& activations) {
  std::vector<int64_t> shape;
  if (activations.Has(kInputShapeTensor)) {
    const Tensor* t = *activations.Get(kInputShapeTensor);
    if (t->dtype() == DType::kInt64)
      shape.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  } else {
    std::stringstream dims(activations.Attr(std::string(kInputShapeTensor)));
    for (std::string d; std::getline(dims, d, ',');) {
      try {
        shape.push_back(std::stoll(d));
      } catch (const std::exception&) {
        shape.clear();
        break;
      }
    }
  }
  for (int64_t d : shape) {
    if (d <= 0) shape.clear();
  }
  if (shape.size() != 3)
    return InvalidArgumentError("'input_shape' is not int64 [3] (C, H, W) of positive sizes");
  return shape;
}

Tensor InputShapeTensor(const std::vector<int64_t>& chw) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(chw.size())}, chw);
}

Status CommunityCodesSchema::Check(const TensorMap& value) {
  if (!value.Has(kCodesTensor)) return Missing(kCodesTensor, "uint8 [customers, bits]");
  const Tensor* codes = *value.Get(kCodesTensor);
  if (codes->dtype() != DType::kUInt8 || codes->shape().size() != 2 || codes->dim(1) < 1 ||
      codes->dim(1) > 64) {
    return InvalidArgumentError("tensor 'codes' is " + codes->ShapeString() +
                                "; expected uint8 [customers, 1..64 bits]");
  }
  return OkStatus();
}

Status CalibrationSchema::Check(const JsonDocument& value) {
  SM_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(value));
  return RequireFields(
      j, {"statistic", "codebook", "users", "false_accusation", "null_models", "null_scores"});
}

Status AccusationSchema::Check(const JsonDocument& value) {
  SM_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(value));
  SM_RETURN_IF_ERROR(RequireFields(j, {"method", "users", "accused"}));
  if (!j["accused"].is_array()) return InvalidArgumentError("field 'accused' is not a list");
  for (const auto& entry : j["accused"]) {
    if (!entry.is_object() || !entry.contains("user") || !entry["user"].is_number_integer())
      return InvalidArgumentError("an entry of 'accused' has no integer 'user'");
  }
  return OkStatus();
}

Status CoalitionSchema::Check(const JsonDocument& value) {
  SM_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(value));
  SM_RETURN_IF_ERROR(RequireFields(j, {"members"}));
  if (!j["members"].is_array()) return InvalidArgumentError("field 'members' is not a list");
  for (const auto& m : j["members"]) {
    if (!m.is_number_integer()) return InvalidArgumentError("a member is not an integer index");
  }
  return OkStatus();
}

}  // namespace securemark::domain
