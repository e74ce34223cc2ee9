// Balanced incomplete block designs (v, k, λ): v points, blocks of k points, every pair of
// points in exactly λ blocks. With λ = 1 the complement of a block's incidence vector is
// an AND-anti-collusion code word resilient to k-1 averaging colluders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "securemark/status.h"

namespace securemark::codes {

struct BlockDesign {
  std::string name;  // "PG(2,5)", "AG(2,11)", "Singer(31,6,1)", "AG(3,11) lines", "STS(15)"
  int64_t v = 0;
  int64_t k = 0;
  int64_t lambda = 1;
  std::vector<std::vector<int32_t>> blocks;  // sorted point indices

  // Every block has k distinct points in [0, v) and every pair lies in exactly λ blocks.
  // Costs O(b·k²) time and O(v) memory.
  Status Verify() const;
};

StatusOr<BlockDesign> ProjectivePlane(int64_t q);       // (q²+q+1, q+1, 1)
StatusOr<BlockDesign> AffinePlane(int64_t q);           // (q², q, 1), q²+q blocks
StatusOr<BlockDesign> SingerDifferenceSet(int64_t q);   // cyclic (q²+q+1, q+1, 1)
StatusOr<BlockDesign> AffineSpaceLines(int64_t q);      // lines of AG(3,q): (q³, q, 1)
StatusOr<BlockDesign> ProjectiveSpaceLines(int64_t q);  // lines of PG(3,q): (q³+q²+q+1, q+1, 1)
StatusOr<BlockDesign> SteinerTripleSystem(int64_t v);   // (v, 3, 1), v ≡ 1 or 3 (mod 6)

// By name: "pg2", "ag2", "singer", "ag3", "pg3" (parameter q) or "sts" (parameter v).
StatusOr<BlockDesign> MakeDesign(const std::string& kind, int64_t parameter);

}  // namespace securemark::codes
