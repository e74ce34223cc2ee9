// Split learning throughput: fc900 trained by server_trainer.split with N data-owner
// processes over ZeroMQ (with and without CURVE) against server_trainer.standalone in one
// process on the same examples, the same batch (N x per-owner batch) and one epoch.
// Throughput = training examples / training seconds as each trainer reports them (joining
// and test evaluation excluded from both). Prints one line per configuration.
// Every process computes with one BLAS thread (OPENBLAS_NUM_THREADS=1): with OpenMP and
// OpenBLAS both spreading over the 2 cores, the single-process fc900 step was 2.5x slower.
// The single process keeps LibTorch's default threads; the split server and owners use
// one thread each.
//   split_bench [owners...]        default: 1 4 20
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark {
namespace {

using nlohmann::json;
const std::string kBuild = SECUREMARK_BUILD_DIR;
const std::string kData = "/usr/share/datasets/fashion-mnist/";

// Runs a one-step pipeline and returns its report (read back with `securemark show`).
json RunReport(const std::string& dir, const std::string& steps) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/bench.yaml";
  (void)WriteFileAtomic(file, "apiVersion: securemark/v1\nname: split-bench\nsteps:\n" + steps);
  auto r = RunProcess({"/bin/sh", "-c",
                       kBuild + "/bin/securemark run " + file + " --store " + dir +
                           "/store --jobs 1 > " + dir + "/log.txt 2>&1 && " + kBuild +
                           "/bin/securemark show train.report --store " + dir + "/store --content"},
                      true);
  if (!r.ok() || r->exit_code != 0) {
    std::cerr << "run failed; see " << dir << "/log.txt\n";
    return json();
  }
  const auto start = r->output.find('{');
  return start == std::string::npos ? json() : json::parse(r->output.substr(start), nullptr, false);
}

// A party's name: "owner" alone, "owner@i" among several.
std::string OwnerName(int owners, int i) {
  return owners == 1 ? "train.owner" : "train.owner@" + std::to_string(i);
}

// Where the owners' time went, summed over owners (from their summaries).
json OwnerSeconds(const std::string& dir, int owners) {
  json total = {{"seconds_forward", 0.0},
                {"seconds_backward_and_update", 0.0},
                {"seconds_waiting", 0.0},
                {"cpu_seconds", 0.0}};
  for (int i = 0; i < owners; ++i) {
    auto r = RunProcess({"/bin/sh", "-c",
                         kBuild + "/bin/securemark show '" + OwnerName(owners, i) +
                             "/summary' --store " + dir + "/store --content"},
                        true);
    if (!r.ok() || r->exit_code != 0) return json();
    const auto start = r->output.find('{');
    const json summary =
        start == std::string::npos ? json() : json::parse(r->output.substr(start), nullptr, false);
    if (!summary.is_object()) return json();
    for (auto& [key, value] : total.items()) value = value.get<double>() + summary.value(key, 0.0);
  }
  return total;
}

std::string DataStep(int64_t examples) {
  return "  - id: data\n    uses: dataset.idx\n    with: {split: train, limit: " +
         std::to_string(examples) + "}\n";
}

}  // namespace
}  // namespace securemark

int main(int argc, char** argv) {
  using namespace securemark;
  std::vector<int> owners_list;
  for (int i = 1; i < argc; ++i) owners_list.push_back(std::atoi(argv[i]));
  if (owners_list.empty()) owners_list = {1, 4, 20};
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  const int64_t total_batch = 80;
  std::printf("%-8s %-10s %9s %12s %10s %8s\n", "owners", "trainer", "examples", "train_s", "ex/s",
              "ratio");
  for (int owners : owners_list) {
    const int64_t per_owner = total_batch / owners;
    const int64_t batch = per_owner * owners;
    const int64_t examples = 250 * batch;  // 250 steps
    const std::string dir = kBuild + "/bench-data/split-" + std::to_string(owners);
    json single = RunReport(dir + "-single",
                            DataStep(examples) +
                                "  - id: train\n    uses: server_trainer.standalone\n"
                                "    inputs: {train: data.dataset}\n"
                                "    with: {model: fc900, epochs: 1, lr: 0.05, batch_size: " +
                                std::to_string(batch) + "}\n");
    if (single.is_null()) return 1;
    const double single_rate = examples / single["train_seconds"].get<double>();
    std::printf("%-8d %-10s %9lld %12.2f %10.0f %8s\n", owners, "single", (long long)examples,
                single["train_seconds"].get<double>(), single_rate, "1.00");
    for (const bool encrypt : {false, true}) {
      const std::string steps =
          "  - id: train\n    runtime: {encrypt: " + std::string(encrypt ? "true" : "false") +
          "}\n    parties:\n"
          "      - name: server\n        uses: server_trainer.split\n"
          "        with: {epochs: 1, lr: 0.05, threads: 1, batch: " +
          std::to_string(per_owner) +
          "}\n      - name: owner\n        uses: data_owner.node\n        count: " +
          std::to_string(owners) + "\n        with: {images: " + kData +
          "train-images-idx3-ubyte.gz, labels: " + kData +
          "train-labels-idx1-ubyte.gz, limit: " + std::to_string(examples) + ", threads: 1}\n";
      json split = RunReport(dir + (encrypt ? "-curve" : "-plain"), steps);
      if (split.is_null()) return 1;
      const double rate = examples / split["train_seconds"].get<double>();
      std::printf("%-8d %-10s %9lld %12.2f %10.0f %8.2f\n", owners,
                  encrypt ? "split+curve" : "split", (long long)examples,
                  split["train_seconds"].get<double>(), rate, rate / single_rate);
      // The profile: CPU-seconds of all owners together against the cores there are.
      const json owner = OwnerSeconds(dir + (encrypt ? "-curve" : "-plain"), owners);
      if (owner.is_object())
        std::printf(
            "         owners in all: forward %.2f s, backward+update %.2f s, waiting %.2f s"
            " (wall clock, descheduled time included), CPU %.2f s;"
            " server: waiting %.2f s, tail %.2f s, averaging heads %.2f s, CPU %.2f s\n",
            owner["seconds_forward"].get<double>(),
            owner["seconds_backward_and_update"].get<double>(),
            owner["seconds_waiting"].get<double>(), owner["cpu_seconds"].get<double>(),
            split.value("seconds_waiting_for_owners", 0.0),
            split.value("seconds_server_compute", 0.0), split.value("seconds_synchronising", 0.0),
            split.value("cpu_seconds", 0.0));
    }
  }
  return 0;
}
