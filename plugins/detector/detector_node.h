// The common shape of every detector plugin: a codebook, the secret basis U and an
// extracted vector in; the accused customers with scores out. Detectors differ only in
// the method they call.
#pragma once

#include <nlohmann/json.hpp>

#include "codes/collusion.h"
#include "codes/keys.h"
#include "securemark/node.h"

namespace securemark::detector {

inline constexpr Input<codes::Codebook> kCodebook{"codebook",
                                                  "The codebook the fingerprints came from."};
inline constexpr Input<TensorMap> kBasis{
    "basis", "Secret basis U; without it 'extracted' holds correlations.", kOptional};
inline constexpr Input<TensorMap> kExtracted{
    "extracted",
    "float64 'fingerprint' (F = X w, possibly with a community part first) or 'correlations'."};
inline constexpr Output<JsonDocument> kAccusation{
    "accusation", "{method, signal_level, accused: [{user, score}]}."};
inline constexpr Param<int64_t> kCommunityBits{
    "community_bits", 0, "Leading community-code entries to skip (SecureMark-DL layout).",
    Range{0, 100000}};
inline constexpr Param<double> kTau{"tau", 0.85, "Threshold on the normalised correlation.",
                                    Range{0.01, 0.999}};
inline constexpr Param<int64_t> kMaxColluders{
    "max_colluders", 0, "Largest coalition considered (0 = automatic).", Range{0, 100000}};

// Correlations b = Uᵀ F (the identity part of F), or the given correlations.
inline StatusOr<std::vector<double>> Correlations(Context& ctx, const codes::Codebook& codebook) {
  SM_ASSIGN_OR_RETURN(TensorMap extracted, ctx.Get(kExtracted));
  if (!ctx.Has(kBasis)) {
    SM_ASSIGN_OR_RETURN(const Tensor* c, extracted.Get("correlations"));
    SM_ASSIGN_OR_RETURN(Eigen::MatrixXd m, codes::MatrixFromTensor(*c));
    if (m.size() != codebook.length()) {
      return InvalidArgumentError("correlations have " + std::to_string(m.size()) +
                                  " entries but the code has " + std::to_string(codebook.length()) +
                                  " positions");
    }
    return std::vector<double>(m.data(), m.data() + m.size());
  }
  SM_ASSIGN_OR_RETURN(TensorMap basis_map, ctx.Get(kBasis));
  SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map.Get("basis"));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd basis, codes::MatrixFromTensor(*basis_tensor));
  SM_ASSIGN_OR_RETURN(const Tensor* f, extracted.Get("fingerprint"));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd full, codes::MatrixFromTensor(*f));
  const int64_t skip = ctx.Get(kCommunityBits);
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

template <const char* kMethod, const char* kDoc>
class DetectorNode : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.0.0", kDoc, kCodebook, kBasis, kExtracted, kAccusation,
                           kCommunityBits, kTau, kMaxColluders);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    SM_ASSIGN_OR_RETURN(std::vector<double> y, Correlations(ctx, codebook));
    SM_ASSIGN_OR_RETURN(codes::Detection d,
                        codes::Detect(codebook, y, kMethod, ctx.Get(kTau), ctx.Get(kMaxColluders)));
    nlohmann::json out = {{"method", d.method},          {"signal_level", d.signal_level},
                          {"users", codebook.users()},   {"length", codebook.length()},
                          {"codebook", codebook.name()}, {"accused", nlohmann::json::array()}};
    for (const auto& a : d.accused)
      out["accused"].push_back({{"user", a.user}, {"score", a.score}});
    if (codebook.is_prefixed()) {
      // The community code of the (averaged) suspect, for screening communities first.
      std::string community;
      for (int64_t i = 0; i < codebook.parts()[0].length(); ++i) community += y[i] > 0 ? '1' : '0';
      out["community_code"] = community;
    }
    ctx.Info(std::to_string(d.accused.size()) + " accused by " + d.method);
    return ctx.Set(kAccusation, JsonDocument(out.dump()));
  }
};

}  // namespace securemark::detector
