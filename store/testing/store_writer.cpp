// Test helper: writes executions into a store from its own process.
//   store_writer STORE count N    N executions (each reads the previous output), then exit
//   store_writer STORE forever [PROGRESS]
//                                 write until killed (for crash-safety tests); with
//                                 PROGRESS, append a byte to that file after each
//                                 execution, so a test can wait for progress, not time
#include <fcntl.h>
#include <unistd.h>
#include <iostream>
#include <random>
#include <string>

#include "store.h"

using namespace securemark;
using namespace securemark::store;

namespace {

Status WriteOne(Store& s, int64_t i, int64_t& previous, std::mt19937& rng) {
  const std::string tag = std::to_string(getpid()) + "-" + std::to_string(i);
  SM_ASSIGN_OR_RETURN(int64_t exec, s.BeginExecution(NewExecution::Of("testing.writer", tag)));
  // Outputs of varying size, some shared between writers (identical content).
  std::string content = (i % 7 == 0) ? "shared-" + std::to_string(i % 3) : tag;
  content.append(rng() % 20000, static_cast<char>('a' + i % 26));
  SM_ASSIGN_OR_RETURN(int64_t out, s.StageOutput(exec, "Blob", content, i % 5 == 0));
  if (i % 11 == 3) return s.FailExecution(exec, "deliberate failure " + tag);
  std::vector<EventSpec> inputs;
  if (previous > 0) inputs.push_back({previous, "in"});
  SM_RETURN_IF_ERROR(s.CompleteExecution(exec, inputs, {{out, "out"}}));
  previous = out;
  return OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: store_writer STORE count N | STORE forever [PROGRESS]\n";
    return 2;
  }
  auto store = Store::Open(argv[1]);
  if (!store.ok()) {
    std::cerr << "store_writer: " << store.status() << "\n";
    return 1;
  }
  const std::string mode = argv[2];
  const int64_t n = mode == "count" && argc > 3 ? std::stoll(argv[3]) : INT64_MAX;
  const int progress =
      mode == "forever" && argc > 3 ? open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
  std::mt19937 rng(getpid());
  int64_t previous = 0;
  for (int64_t i = 0; i < n; ++i) {
    Status s = WriteOne(**store, i, previous, rng);
    if (!s.ok()) {
      std::cerr << "store_writer: " << s << "\n";
      return 1;
    }
    if (progress >= 0 && write(progress, ".", 1) != 1) return 1;
  }
  return 0;
}
