#include "host/torch_diagnostics.h"

#include <dlfcn.h>
#include <link.h>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace securemark {
namespace {

int CollectBlas(struct dl_phdr_info* info, size_t, void* data) {
  std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name.find("blas") != std::string::npos || name.find("mkl") != std::string::npos) {
    char resolved[PATH_MAX];
    if (realpath(name.c_str(), resolved) != nullptr) name = resolved;
    static_cast<std::vector<std::string>*>(data)->push_back(name);
  }
  return 0;
}

double SgemmGflops(int64_t n) {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({n, n});
  torch::Tensor b = torch::randn({n, n});
  torch::mm(a, b);  // warm up thread pools
  const int reps = 3;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) torch::mm(a, b);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return reps * 2.0 * n * n * n / seconds / 1e9;
}

}  // namespace

std::string TorchDiagnosticsJson() {
  std::vector<std::string> blas;
  dl_iterate_phdr(&CollectBlas, &blas);
  nlohmann::json j;
  j["torch_version"] = TORCH_VERSION;
  j["intra_op_threads"] = at::get_num_threads();
  j["inter_op_threads"] = at::get_num_interop_threads();
  j["blas_libraries"] = blas;
  using GetThreads = int (*)();
  using GetConfig = char* (*)();
  if (auto fn = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
    j["blas_threads"] = fn();
  }
  if (auto fn = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    j["blas_config"] = fn();
  }
  bool optimised = false;
  for (const auto& lib : blas) {
    optimised |= lib.find("openblas") != std::string::npos || lib.find("mkl") != std::string::npos;
  }
  j["blas_optimised"] = optimised;
  j["sgemm_2048_gflops"] = SgemmGflops(2048);
  return j.dump(2);
}

}  // namespace securemark
