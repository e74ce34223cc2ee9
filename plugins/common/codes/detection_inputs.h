// What every step that reads a suspect's extraction against a codebook takes (detectors,
// calibration.null_models, evaluate.robustness): the shared ports, and the decoding of an
// extraction into what the decision rule reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codes/codebook.h"
#include "codes/identification.h"
#include "codes/keys.h"
#include "domain/domain_values.h"
#include "securemark/node.h"

namespace securemark::codes {

inline constexpr Input<Codebook> kCodebook{"codebook", "The codebook the fingerprints came from."};
inline constexpr Input<domain::Basis> kBasis{
    "basis", "Secret basis U; without it 'extracted' holds correlations.", kOptional};
inline constexpr Input<domain::Extraction> kExtracted{
    "extracted",
    "float64 'fingerprint' (F = X w, possibly with a community part first; with "
    "'signal_norm', 'signal_length' and 'key_gram' for the provenance test) or "
    "'correlations'."};
inline constexpr Param<int64_t> kCommunityBits{
    "community_bits", 0, "Leading community-code entries to skip (SecureMark-DL layout).",
    Range{0, 100000}};
inline constexpr Param<double> kTau{"tau", 0.85, "Threshold on the normalised correlation.",
                                    Range{0.01, 0.999}};

// Correlations b = Uᵀ F (the identity part of F, after `skip` community entries), or the
// 'correlations' the extraction already holds when there is no basis.
inline StatusOr<std::vector<double>> CorrelationsOf(const TensorMap& extracted,
                                                    const TensorMap* basis_map, int64_t skip,
                                                    const Codebook& codebook) {
  if (basis_map == nullptr) {
    SM_ASSIGN_OR_RETURN(const Tensor* c, extracted.Get(domain::kCorrelationsTensor));
    SM_ASSIGN_OR_RETURN(Eigen::MatrixXd m, MatrixFromTensor(*c));
    if (m.size() != codebook.length()) {
      return InvalidArgumentError("correlations have " + std::to_string(m.size()) +
                                  " entries but the code has " + std::to_string(codebook.length()) +
                                  " positions");
    }
    return std::vector<double>(m.data(), m.data() + m.size());
  }
  SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map->Get(domain::kBasisTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd basis, MatrixFromTensor(*basis_tensor));
  SM_ASSIGN_OR_RETURN(const Tensor* f, extracted.Get(domain::kFingerprintTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd full, MatrixFromTensor(*f));
  if (full.size() - skip != basis.rows() || basis.cols() != codebook.length()) {
    return InvalidArgumentError("the extracted fingerprint has " + std::to_string(full.size()) +
                                " entries (" + std::to_string(skip) +
                                " community bits) but the basis is " +
                                std::to_string(basis.rows()) + "x" + std::to_string(basis.cols()) +
                                " for a " + std::to_string(codebook.length()) + "-bit code");
  }
  Eigen::VectorXd identity =
      Eigen::Map<Eigen::VectorXd>(full.data(), full.size()).tail(full.size() - skip);
  Eigen::VectorXd b = basis.transpose() * identity;
  return std::vector<double>(b.data(), b.data() + b.size());
}

// The whole extraction the decision rule needs: the correlations and, when the extractor
// recorded them and a basis is given, what the provenance test reads (F, ‖w‖, β, X Xᵀ).
inline StatusOr<Extraction> ExtractionFrom(const TensorMap& extracted, const TensorMap* basis_map,
                                           int64_t skip, const Codebook& codebook) {
  Extraction out;
  out.skip = skip;
  SM_ASSIGN_OR_RETURN(out.identity, CorrelationsOf(extracted, basis_map, skip, codebook));
  const bool keyed = extracted.Has(domain::kSignalNormTensor) &&
                     extracted.Has(domain::kSignalLengthTensor) &&
                     extracted.Has(domain::kKeyGramTensor);
  if (basis_map == nullptr || !keyed) return out;
  auto matrix = [&](std::string_view name) -> StatusOr<Eigen::MatrixXd> {
    SM_ASSIGN_OR_RETURN(const Tensor* t, extracted.Get(name));
    return MatrixFromTensor(*t);
  };
  SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map->Get(domain::kBasisTensor));
  SM_ASSIGN_OR_RETURN(out.basis, MatrixFromTensor(*basis_tensor));
  KeyedReading r;
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd f, matrix(domain::kFingerprintTensor));
  r.fingerprint = Eigen::Map<Eigen::VectorXd>(f.data(), f.size());
  SM_ASSIGN_OR_RETURN(r.gram, matrix(domain::kKeyGramTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd norm, matrix(domain::kSignalNormTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd length, matrix(domain::kSignalLengthTensor));
  if (norm.size() != 1 || length.size() != 1)
    return InvalidArgumentError(
        "input 'extracted': 'signal_norm' or 'signal_length' is not one value");
  r.signal_norm = norm(0);
  r.signal_length = static_cast<int64_t>(length(0));
  out.reading = std::move(r);
  return out;
}

inline StatusOr<Extraction> ExtractionOf(Context& ctx, const Codebook& codebook) {
  SM_ASSIGN_OR_RETURN(domain::Extraction extracted, ctx.Get(kExtracted));
  std::optional<TensorMap> basis;
  if (ctx.Has(kBasis)) {
    SM_ASSIGN_OR_RETURN(domain::Basis b, ctx.Get(kBasis));
    basis = std::move(b);
  }
  return ExtractionFrom(extracted, basis ? &*basis : nullptr, ctx.Get(kCommunityBits), codebook);
}

}  // namespace securemark::codes
