// What every cic plugin emits besides its codebook: the secret orthonormal basis U that
// maps code bits to fingerprint vectors, and a summary.
#pragma once

#include <algorithm>

#include <nlohmann/json.hpp>

#include "codes/bibd.h"
#include "codes/codebook.h"
#include "codes/keys.h"
#include "codes/secret_random.h"
#include "domain/domain_values.h"
#include "securemark/node.h"

namespace securemark::cic {

// Which customer holds which code word is as sensitive as the key: both are stored 0600.
inline constexpr Output<codes::Codebook> kCodebook{"codebook",
                                                   "Which code bits each customer gets.", kSecret};
inline constexpr Output<domain::Basis> kBasis{
    "basis", "Secret orthonormal basis U (float64 [length, length]).", kSecret | kOptional};
inline constexpr Output<JsonDocument> kSummary{"summary",
                                               "Users, code length, resilience, checks."};
inline constexpr Param<bool> kMakeBasis{"basis", true, "Also create the secret basis U."};
inline constexpr auto kSeed = Param<int64_t>::FreshSecret(
    "seed", 0,
    "Explicit seed of the basis (and of random codes), for reproducible experiments only; "
    "0 draws them from the operating system's CSPRNG. Kept secret.",
    Range{0, 9.2e18});

// The root of this step's secrets: fresh, unless an explicit seed was opted into.
inline codes::SecretSeed SecretRoot(Context& ctx) { return codes::SeedOrFresh(ctx.Get(kSeed)); }

// `design` with its blocks (customers) and points (code bits) in a secret order.
inline codes::BlockDesign Relabelled(const codes::BlockDesign& design,
                                     codes::SecretStream& stream) {
  const std::vector<int64_t> blocks =
      stream.Permutation(static_cast<int64_t>(design.blocks.size()));
  const std::vector<int64_t> points = stream.Permutation(design.v);
  codes::BlockDesign out = design;
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::vector<int32_t>& block = out.blocks[b];
    block.clear();
    for (int32_t p : design.blocks[blocks[b]]) block.push_back(static_cast<int32_t>(points[p]));
    std::sort(block.begin(), block.end());
  }
  return out;
}

// A dense basis for codes longer than this would not fit in memory comfortably.
inline constexpr int64_t kMaxBasisLength = 4096;

inline Status EmitCodebook(Context& ctx, const codes::Codebook& codebook,
                           const codes::SecretSeed& root, nlohmann::json summary) {
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
    codes::SecretStream stream(root.Derive("basis"));
    domain::Basis basis;
    basis.Put(
        std::string(domain::kBasisTensor),
        codes::ToTensor(codes::OrthonormalBasis(codebook.length(), codebook.length(), stream)));
    SM_RETURN_IF_ERROR(ctx.Set(kBasis, basis));
  }
  return ctx.Set(kSummary, JsonDocument(summary.dump()));
}

}  // namespace securemark::cic
