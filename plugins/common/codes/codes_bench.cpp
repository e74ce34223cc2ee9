// Decoding one extracted vector among many customers, and Monte Carlo evaluation speed.
#include <benchmark/benchmark.h>

#include "codes/collusion.h"
#include "codes/detectors.h"

namespace securemark::codes {
namespace {

std::vector<double> Averaged(const Codebook& c, const std::vector<int64_t>& users) {
  std::vector<double> y(c.length(), 0.0), b(c.length());
  for (int64_t u : users) {
    c.Coefficients(u, b.data());
    for (int64_t i = 0; i < c.length(); ++i) y[i] += b[i] / users.size();
  }
  return y;
}

void Decode(benchmark::State& state, const Codebook& c) {
  std::vector<int64_t> coalition;
  for (int64_t i = 0; i < 10; ++i) coalition.push_back((i * 7919 + 13) % c.users());
  const std::vector<double> y = Averaged(c, coalition);
  size_t accused = 0;
  for (auto _ : state) accused = HardThreshold(c, y).accused.size();
  state.counters["customers"] = static_cast<double>(c.users());
  state.counters["code_bits"] = static_cast<double>(c.length());
  state.counters["accused"] = static_cast<double>(accused);
}

void BM_Decode17424TwoPart(benchmark::State& state) {
  static const Codebook half = Codebook::AndAcc(*AffinePlane(11));
  static const Codebook c = *Codebook::Product(half, half);
  Decode(state, c);
}
BENCHMARK(BM_Decode17424TwoPart)->Unit(benchmark::kMillisecond);

void BM_Decode16093Lines(benchmark::State& state) {
  static const Codebook c = Codebook::AndAcc(*AffineSpaceLines(11));
  Decode(state, c);
}
BENCHMARK(BM_Decode16093Lines)->Unit(benchmark::kMillisecond);

// Lines of AG(3,32): 1,082,368 customers, 32,768-bit codes.
void BM_DecodeMillionLines(benchmark::State& state) {
  static const Codebook c = Codebook::AndAcc(*AffineSpaceLines(32));
  Decode(state, c);
}
BENCHMARK(BM_DecodeMillionLines)->Unit(benchmark::kMillisecond);

void BM_Evaluate31_6_1(benchmark::State& state) {
  static const Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));
  CollusionOptions o;
  o.k_min = 1;
  o.k_max = 5;
  o.trials = 10000;
  o.random_scale = true;
  for (auto _ : state) benchmark::DoNotOptimize(EvaluateCollusion(c, o));
  state.counters["trials"] = 50000;
}
BENCHMARK(BM_Evaluate31_6_1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace securemark::codes

BENCHMARK_MAIN();
