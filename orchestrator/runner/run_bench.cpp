// Orchestration overhead: a pipeline of N trivial foreach instances (testing.work with no
// work) run through `securemark run` on real hosts; then the same run again, all cached.
// The sizes go up to the compiler's limit of 100,000 instances, where any work per tick
// that grows with the plan (rather than with what is ready or running) shows.
// BM_TrivialForeachOnSlurm runs the same on two Slurm host jobs against two local hosts
// (with SLURM_CONF naming a cluster: scripts/slurm-test-cluster.sh start DIR starts one).
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;

double RunOnce(const std::string& args) {
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({"/bin/sh", "-c",
                       "SECUREMARK_PLUGIN_PATH=" + kBuild + "/test-plugins/pipeline " + kBuild +
                           "/bin/securemark run " + args + " > /dev/null 2>&1"},
                      false);
  if (!r.ok() || r->exit_code != 0) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void TrivialForeach(benchmark::State& state, int n, bool cached, const std::string& executor) {
  const std::string dir = kBuild + "/bench-data/foreach";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/foreach.yaml";
  (void)WriteFileAtomic(file,
                        "apiVersion: securemark/v1\nname: bench\nparams: {n: 10}\nsteps:\n"
                        "  - id: w\n    uses: testing.work\n    foreach: ${{ range(params.n) }}\n"
                        "    with: {value: \"${{ item }}\"}\n");
  const std::string args =
      file + " --store " + dir + "/store --plain --jobs 2 --set n=" + std::to_string(n) + executor;
  if (cached && RunOnce(args) < 0) state.SkipWithError("the warm-up run failed");
  for (auto _ : state) {
    double seconds = RunOnce(args);
    if (seconds < 0) state.SkipWithError("securemark run failed");
    state.SetIterationTime(seconds);
    state.counters["executions_per_s"] = n / seconds;
    state.counters["ms_per_execution"] = 1000 * seconds / n;
  }
}
void BM_TrivialForeach(benchmark::State& state) {
  TrivialForeach(state, static_cast<int>(state.range(0)), state.range(1) != 0, "");
}

void BM_TrivialForeachOnSlurm(benchmark::State& state) {
  const bool slurm = state.range(1) != 0;
  if (slurm && std::getenv("SLURM_CONF") == nullptr) {
    state.SkipWithError("SLURM_CONF is not set");
    return;
  }
  TrivialForeach(state, static_cast<int>(state.range(0)), false,
                 slurm ? " --executor slurm --max-hosts 2" : "");
}
BENCHMARK(BM_TrivialForeachOnSlurm)
    ->ArgsProduct({{1000}, {0, 1}})
    ->ArgNames({"instances", "slurm"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

BENCHMARK(BM_TrivialForeach)
    ->ArgsProduct({{1000, 10000, 100000}, {0, 1}})
    ->ArgNames({"instances", "cached"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace securemark

BENCHMARK_MAIN();
