// What every cic plugin emits besides its codebook: the secret orthonormal basis U that
// maps code bits to fingerprint vectors, and a summary.
#pragma once

#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "codes/keys.h"
#include "securemark/node.h"

namespace securemark::cic {

// Which customer holds which code word is as sensitive as the key: both are stored 0600.
inline constexpr Output<codes::Codebook> kCodebook{"codebook", "Which code bits each customer gets.",
                                                   kSecret};
inline constexpr Output<TensorMap> kBasis{
    "basis", "Secret orthonormal basis U (float64 [length, length]).", kSecret | kOptional};
inline constexpr Output<JsonDocument> kSummary{"summary",
                                               "Users, code length, resilience, checks."};
inline constexpr Param<bool> kMakeBasis{"basis", true, "Also create the secret basis U."};
inline constexpr Param<int64_t> kSeed{"seed", 0, "Seed of the basis (and of random codes).",
                                      Range{0, 9.2e18}};

// A dense basis for codes longer than this would not fit in memory comfortably.
inline constexpr int64_t kMaxBasisLength = 4096;

inline Status EmitCodebook(Context& ctx, const codes::Codebook& codebook, nlohmann::json summary) {
  summary["name"] = codebook.name();
  summary["users"] = codebook.users();
  summary["length"] = codebook.length();
  summary["resilience"] = codebook.resilience();
  summary["modulation"] =
      codebook.modulation() == codes::Modulation::kAntipodal ? "antipodal" : "on-off";
  ctx.Info(codebook.name() + ": " + std::to_string(codebook.users()) + " users, " +
           std::to_string(codebook.length()) + " bits");
  SM_RETURN_IF_ERROR(ctx.Set(kCodebook, codebook));
  if (ctx.Get(kMakeBasis)) {
    if (codebook.length() > kMaxBasisLength) {
      return InvalidArgumentError("a " + std::to_string(codebook.length()) +
                                  "-bit code is too long for a dense basis (at most " +
                                  std::to_string(kMaxBasisLength) + "); set basis: false");
    }
    TensorMap basis;
    basis.Put("basis",
              codes::ToTensor(codes::OrthonormalBasis(codebook.length(), codebook.length(),
                                                      static_cast<uint64_t>(ctx.Get(kSeed)))));
    basis.SetAttr("seed", std::to_string(ctx.Get(kSeed)));
    SM_RETURN_IF_ERROR(ctx.Set(kBasis, basis));
  }
  return ctx.Set(kSummary, JsonDocument(summary.dump()));
}

}  // namespace securemark::cic
