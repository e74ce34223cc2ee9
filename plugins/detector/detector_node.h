// The common shape of every detector plugin: a codebook, the secret basis U and an
// extracted vector in; the accused customers with scores out. Detectors differ only in
// the method they call. With a calibration (calibration.null_models), a named customer
// stays accused only if their evidence would be this strong for an innocent with
// probability at most false_accusation / users (fitted tail) and beyond every innocent in
// the null set, and every accused gets a p-value.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "codes/collusion.h"
#include "codes/keys.h"
#include "detector/calibration_json.h"
#include "securemark/node.h"

namespace securemark::detector {

inline constexpr Input<codes::Codebook> kCodebook{"codebook",
                                                  "The codebook the fingerprints came from."};
inline constexpr Input<TensorMap> kBasis{
    "basis", "Secret basis U; without it 'extracted' holds correlations.", kOptional};
inline constexpr Input<TensorMap> kExtracted{
    "extracted",
    "float64 'fingerprint' (F = X w, possibly with a community part first) or 'correlations'."};
inline constexpr Input<JsonDocument> kCalibration{
    "calibration", "Null-model calibration; adds p-values and dismisses weak accusations.",
    kOptional};
inline constexpr Output<JsonDocument> kAccusation{
    "accusation", "{method, signal_level, accused: [{user, score[, evidence, p_value]}]}."};
inline constexpr Param<int64_t> kCommunityBits{
    "community_bits", 0, "Leading community-code entries to skip (SecureMark-DL layout).",
    Range{0, 100000}};
inline constexpr Param<double> kTau{"tau", 0.85, "Threshold on the normalised correlation.",
                                    Range{0.01, 0.999}};
inline constexpr Param<int64_t> kMaxColluders{
    "max_colluders", 0, "Largest coalition considered (0 = automatic).", Range{0, 100000}};

// Correlations b = Uᵀ F (the identity part of F, after `skip` community entries), or the
// 'correlations' the extraction already holds when there is no basis.
inline StatusOr<std::vector<double>> CorrelationsOf(const TensorMap& extracted,
                                                    const TensorMap* basis_map, int64_t skip,
                                                    const codes::Codebook& codebook) {
  if (basis_map == nullptr) {
    SM_ASSIGN_OR_RETURN(const Tensor* c, extracted.Get("correlations"));
    SM_ASSIGN_OR_RETURN(Eigen::MatrixXd m, codes::MatrixFromTensor(*c));
    if (m.size() != codebook.length()) {
      return InvalidArgumentError("correlations have " + std::to_string(m.size()) +
                                  " entries but the code has " + std::to_string(codebook.length()) +
                                  " positions");
    }
    return std::vector<double>(m.data(), m.data() + m.size());
  }
  SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map->Get("basis"));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd basis, codes::MatrixFromTensor(*basis_tensor));
  SM_ASSIGN_OR_RETURN(const Tensor* f, extracted.Get("fingerprint"));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd full, codes::MatrixFromTensor(*f));
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

// The correlations of the step's 'extracted' input.
inline StatusOr<std::vector<double>> Correlations(Context& ctx, const codes::Codebook& codebook) {
  SM_ASSIGN_OR_RETURN(TensorMap extracted, ctx.Get(kExtracted));
  std::optional<TensorMap> basis;
  if (ctx.Has(kBasis)) {
    SM_ASSIGN_OR_RETURN(TensorMap b, ctx.Get(kBasis));
    basis = std::move(b);
  }
  return CorrelationsOf(extracted, basis ? &*basis : nullptr, ctx.Get(kCommunityBits), codebook);
}

template <const char* kMethod, const char* kDoc>
class DetectorNode : public Node {
 public:
  static Contract GetContract() {
    return Contract::Build("1.2.0", kDoc, kCodebook, kBasis, kExtracted, kCalibration, kAccusation,
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
    if (ctx.Has(kCalibration)) {
      SM_ASSIGN_OR_RETURN(JsonDocument doc, ctx.Get(kCalibration));
      SM_ASSIGN_OR_RETURN(Calibration calibration, CalibrationFromJson(doc, codebook));
      SM_ASSIGN_OR_RETURN(std::vector<double> evidence, codes::Evidence(codebook, y));
      out["dismissed"] = nlohmann::json::array();
      for (const auto& a : d.accused) {
        const codes::PValue p = codes::PValueOf(calibration.null, evidence[a.user]);
        nlohmann::json entry = {{"user", a.user},
                                {"score", a.score},
                                {"evidence", evidence[a.user]},
                                {"p_value", p.gaussian},
                                {"empirical_p_value", p.empirical}};
        const bool kept = calibration.Accuses(evidence[a.user]);
        out[kept ? "accused" : "dismissed"].push_back(entry);
      }
      out["calibration"] = {{"false_accusation", calibration.false_accusation},
                            {"per_user_level", calibration.per_user_level},
                            {"threshold", calibration.threshold},
                            {"null_models", calibration.null.models},
                            {"null_scores", calibration.null.scores.size()}};
    } else {
      for (const auto& a : d.accused)
        out["accused"].push_back({{"user", a.user}, {"score", a.score}});
    }
    if (codebook.is_prefixed()) out["community"] = ScreenCommunities(codebook, y, out["accused"]);
    ctx.Info(std::to_string(out["accused"].size()) + " accused by " + d.method +
             (ctx.Has(kCalibration) ? " (calibrated)" : ""));
    return ctx.Set(kAccusation, JsonDocument(out.dump()));
  }

 private:
  // The suspect's community code and the customers whose community code is nearest to it
  // (a coalition from one community keeps that community's code); every accused customer
  // gets their own community code beside it.
  static nlohmann::json ScreenCommunities(const codes::Codebook& codebook,
                                          const std::vector<double>& y, nlohmann::json& accused) {
    const codes::Codebook& prefix = codebook.parts()[0];
    auto code_of = [&](int64_t user) {
      std::string code;
      for (int64_t i = 0; i < prefix.length(); ++i) code += prefix.Bit(i, user) ? '1' : '0';
      return code;
    };
    std::string suspect;
    for (int64_t i = 0; i < prefix.length(); ++i) suspect += y[i] > 0 ? '1' : '0';
    int64_t nearest = prefix.length() + 1;
    std::vector<int64_t> members;
    for (int64_t u = 0; u < codebook.users(); ++u) {
      const std::string code = code_of(u);
      int64_t distance = 0;
      for (size_t i = 0; i < code.size(); ++i) distance += code[i] != suspect[i];
      if (distance < nearest) members.clear(), nearest = distance;
      if (distance == nearest) members.push_back(u);
    }
    for (auto& entry : accused) entry["community"] = code_of(entry["user"].get<int64_t>());
    return {{"code", suspect}, {"distance", nearest}, {"members", members}};
  }
};

}  // namespace securemark::detector
