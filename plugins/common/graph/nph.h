// Neighborhood Preserving Hashing (SecureMark-DL's community relationship codes): short
// binary codes such that customers in the same community are close in Hamming distance.
//
// Features: φ_i is row i of A + I (the adjacency stands in for the kernel), so the kernel
// is K = (A + I)², positive semi-definite. LLE: each node is reconstructed from its k
// nearest nodes in that space (weights W, rows summing to 1). Kernel NMF: minimise
// ‖φ − φ Cᵀ F Wᵀ‖² over C, F ≥ 0 (r × n), i.e.
//   J = tr(K) − 2⟨C K, M⟩ + ⟨M, C K Cᵀ M⟩ with M = F Wᵀ,
// by alternating projected gradient with Armijo steps (Lin 2007). Each code bit is then
// F's row thresholded at its median.
//
// Measured on planted-partition graphs: community preservation is best after a few
// iterations and declines as J keeps falling (the extra bases fit node-level detail), so
// the default stops early.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "graph/graph.h"

namespace securemark::graph {

struct NphOptions {
  int64_t bits = 60;        // r, at most 64
  int64_t neighbours = 10;  // k of LLE
  int64_t iterations = 10;  // alternating updates of C and F (see the note on quality below)
  double sigma = 0.01;      // Armijo sufficient-decrease constant
  double beta = 0.1;        // Armijo step factor
  uint64_t seed = 0;
  // Called after each iteration with (iterations done, iterations planned).
  std::function<void(int64_t, int64_t)> on_iteration;
};

struct NphResult {
  int64_t bits = 0;
  std::vector<uint64_t> codes;    // one word per node, low `bits` bits used
  std::vector<double> objective;  // J after each iteration
};

StatusOr<NphResult> NeighborhoodPreservingHash(const Graph& graph, const NphOptions& options);

// Uniform random codes: the baseline.
NphResult RandomCodes(int64_t nodes, int64_t bits, uint64_t seed);

int HammingDistance(uint64_t a, uint64_t b);

}  // namespace securemark::graph
