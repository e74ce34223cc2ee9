// Which BLAS LibTorch runs on, with how many threads, and how fast: the first thing to
// check when training is unexpectedly slow.
#pragma once

#include <string>

namespace securemark {

// A JSON object: torch version, intra/inter-op threads, loaded BLAS library and its
// thread count, and measured sgemm GFLOP/s for a 2048x2048 product.
std::string TorchDiagnosticsJson();

}  // namespace securemark
