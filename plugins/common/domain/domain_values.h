// The values that flow between fingerprinting steps, each under a type name of its own so
// that `validate` checks every wiring, with the schema producer and consumer share. The
// field names below are the only place the encodings are spelled out.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "securemark/typed.h"
#include "securemark/values.h"

namespace securemark::domain {

// ---- tensor values

// The secret projection key of one layer: "key" float64 [v, β] and, for keys that weigh
// units, "unit_weights" [units]; attribute "layer".
inline constexpr std::string_view kKeyTensor = "key";
inline constexpr std::string_view kUnitWeightsTensor = "unit_weights";
struct ProjectionKeySchema {
  using Base = TensorMap;
  static constexpr std::string_view kTypeName = "Tensors/ProjectionKey";
  static Status Check(const TensorMap& value);
};
using ProjectionKey = Typed<ProjectionKeySchema>;

// The secret orthonormal basis U mapping code bits to fingerprint vectors: "basis"
// float64 [length, length].
inline constexpr std::string_view kBasisTensor = "basis";
struct BasisSchema {
  using Base = TensorMap;
  static constexpr std::string_view kTypeName = "Tensors/Basis";
  static Status Check(const TensorMap& value);
};
using Basis = Typed<BasisSchema>;

// What an extractor read from a suspect: "fingerprint" F = X w (float64, possibly with a
// community part first) with "signal_norm" ‖w‖, "signal_length" β and "key_gram" X Xᵀ for
// the provenance test; or only "correlations" for extractors without a basis.
inline constexpr std::string_view kFingerprintTensor = "fingerprint";
inline constexpr std::string_view kCorrelationsTensor = "correlations";
inline constexpr std::string_view kSignalNormTensor = "signal_norm";
inline constexpr std::string_view kSignalLengthTensor = "signal_length";
inline constexpr std::string_view kKeyGramTensor = "key_gram";
struct ExtractionSchema {
  using Base = TensorMap;
  static constexpr std::string_view kTypeName = "Tensors/Extraction";
  static Status Check(const TensorMap& value);
};
using Extraction = Typed<ExtractionSchema>;

// Hidden states the split server recorded at the cut: "hidden" [N, ...], "labels"
// int64 [N], "input_shape" int64 [3] (C, H, W of the owners' inputs); attributes
// "architecture" and "split_after".
inline constexpr std::string_view kHiddenTensor = "hidden";
inline constexpr std::string_view kLabelsTensor = "labels";
inline constexpr std::string_view kInputShapeTensor = "input_shape";
struct ActivationsSchema {
  using Base = TensorMap;
  static constexpr std::string_view kTypeName = "Tensors/Activations";
  static Status Check(const TensorMap& value);
};
using Activations = Typed<ActivationsSchema>;
// C, H, W of the inputs; also reads the comma-separated attribute older stores hold.
StatusOr<std::vector<int64_t>> InputShapeOf(const TensorMap& activations);
Tensor InputShapeTensor(const std::vector<int64_t>& chw);

// A customer -> community code table: "codes" uint8 [customers, bits <= 64], "names" (one
// customer name per line, UTF-8 bytes).
inline constexpr std::string_view kCodesTensor = "codes";
inline constexpr std::string_view kNamesTensor = "names";
struct CommunityCodesSchema {
  using Base = TensorMap;
  static constexpr std::string_view kTypeName = "Tensors/CommunityCodes";
  static Status Check(const TensorMap& value);
};
using CommunityCodes = Typed<CommunityCodesSchema>;

// ---- JSON values

// calibration.null_models' output: innocents' stage-2 t-statistics for one codebook.
struct CalibrationSchema {
  using Base = JsonDocument;
  static constexpr std::string_view kTypeName = "Json/Calibration";
  static Status Check(const JsonDocument& value);
};
using Calibration = Typed<CalibrationSchema>;

// A detector's verdict: {method, users, decided_by, provenance, identification,
// accused: [{user, score, ...}], dismissed}.
struct AccusationSchema {
  using Base = JsonDocument;
  static constexpr std::string_view kTypeName = "Json/Accusation";
  static Status Check(const JsonDocument& value);
};
using Accusation = Typed<AccusationSchema>;

// Who pooled their copies into one model: {members: [model indices], method}.
struct CoalitionSchema {
  using Base = JsonDocument;
  static constexpr std::string_view kTypeName = "Json/Coalition";
  static Status Check(const JsonDocument& value);
};
using Coalition = Typed<CoalitionSchema>;

}  // namespace securemark::domain
