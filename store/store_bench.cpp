// Store benchmarks: lineage queries on a store with 1,000,000 events, and the cost of
// recording one execution.
//
// The generated store (reused between runs) models pipelines: 250,000 executions, each
// reading two recent artifacts and writing two, so lineage is deep and fans in.
#include <filesystem>
#include <random>

#include <benchmark/benchmark.h>

#include "lineage.h"
#include "sqlite.h"
#include "store.h"

namespace securemark::store {
namespace {

constexpr int64_t kExecutions = 250000;
constexpr int64_t kEventsPerExecution = 4;

std::string BenchDir() { return std::string(SECUREMARK_BUILD_DIR) + "/bench-data/lineage-1m"; }

Status Generate(Store& s) {
  Database& db = s.db();
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(db));
  SM_RETURN_IF_ERROR(
      db.Exec("INSERT INTO types (kind, name) VALUES ('ARTIFACT', 'Blob'), "
              "('EXECUTION', 'bench.step')"));
  SM_ASSIGN_OR_RETURN(
      Statement artifact,
      db.Prepare(
          "INSERT INTO artifacts (id, type_id, uri, digest, size, state, create_time, update_time) "
          "VALUES (?, 1, ?, ?, 100, 'LIVE', 0, 0)"));
  SM_ASSIGN_OR_RETURN(Statement execution,
                      db.Prepare("INSERT INTO executions (id, uuid, type_id, state, create_time) "
                                 "VALUES (?, ?, 2, 'COMPLETE', 0)"));
  SM_ASSIGN_OR_RETURN(Statement event, db.Prepare("INSERT INTO events (artifact_id, execution_id, "
                                                  "type, path, time) VALUES (?, ?, ?, ?, 0)"));
  std::mt19937_64 rng(7);
  int64_t next_artifact = 1;
  char digest[65];
  auto new_artifact = [&]() -> StatusOr<int64_t> {
    int64_t id = next_artifact++;
    std::snprintf(digest, sizeof digest, "%064llx", static_cast<unsigned long long>(rng()));
    SM_RETURN_IF_ERROR(
        artifact.Bind(1, id).Bind(2, std::string("sha256:") + digest).Bind(3, digest).Run());
    return id;
  };
  for (int i = 0; i < 64; ++i) SM_RETURN_IF_ERROR(new_artifact().status());
  for (int64_t e = 1; e <= kExecutions; ++e) {
    SM_RETURN_IF_ERROR(execution.Bind(1, e).Bind(2, "uuid-" + std::to_string(e)).Run());
    for (int k = 0; k < 2; ++k) {
      // Inputs from the most recent 1,000 artifacts: chains stay connected and deep.
      int64_t window = std::min<int64_t>(1000, next_artifact - 1);
      int64_t input = next_artifact - 1 - static_cast<int64_t>(rng() % window);
      SM_RETURN_IF_ERROR(event.Bind(1, input).Bind(2, e).Bind(3, "INPUT").Bind(4, "in").Run());
    }
    for (int k = 0; k < 2; ++k) {
      SM_ASSIGN_OR_RETURN(int64_t out, new_artifact());
      SM_RETURN_IF_ERROR(event.Bind(1, out).Bind(2, e).Bind(3, "OUTPUT").Bind(4, "out").Run());
    }
  }
  SM_RETURN_IF_ERROR(tx->Commit());
  return db.Exec("ANALYZE");
}

Store& BenchStore() {
  static std::unique_ptr<Store> store = [] {
    const bool exists = std::filesystem::exists(BenchDir() + "/metadata.sqlite");
    auto s = std::move(Store::Open(BenchDir())).value();
    if (!exists) {
      Status generated = Generate(*s);
      if (!generated.ok()) {
        std::fprintf(stderr, "generating the benchmark store failed: %s\n",
                     generated.ToString().c_str());
        std::abort();
      }
    }
    return s;
  }();
  return *store;
}

void BM_LineageUpstream(benchmark::State& state) {
  Store& s = BenchStore();
  const int hops = static_cast<int>(state.range(0));
  std::mt19937_64 rng(1);
  int64_t nodes = 0;
  for (auto _ : state) {
    // A late artifact, so that the full depth is available.
    int64_t artifact = 2 * kExecutions - static_cast<int64_t>(rng() % 10000);
    auto g = QueryLineage(s, {NodeRef::kArtifact, artifact}, Direction::kUpstream, hops);
    if (!g.ok()) state.SkipWithError(g.status().ToString().c_str());
    nodes += g->artifacts.size() + g->executions.size();
  }
  state.counters["nodes"] =
      benchmark::Counter(static_cast<double>(nodes), benchmark::Counter::kAvgIterations);
  state.counters["events_in_store"] = static_cast<double>(kExecutions * kEventsPerExecution);
}
BENCHMARK(BM_LineageUpstream)->Arg(2)->Arg(6)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_RecordExecution(benchmark::State& state) {
  const std::string dir = std::string(SECUREMARK_BUILD_DIR) + "/bench-data/record";
  std::filesystem::remove_all(dir);
  auto s = std::move(Store::Open(dir)).value();
  int64_t i = 0;
  for (auto _ : state) {
    int64_t e = *s->BeginExecution(NewExecution::Of("bench.step"));
    int64_t out = *s->StageOutput(e, "Blob", "output " + std::to_string(i++), false);
    Status done = s->CompleteExecution(e, {}, {{out, "out"}});
    if (!done.ok()) state.SkipWithError(done.ToString().c_str());
  }
}
BENCHMARK(BM_RecordExecution)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace securemark::store

BENCHMARK_MAIN();
