// The SNAP edge-list parser and the community files read against the graph it gives.
#include <cstdint>

#include "fuzz_input.h"
#include "graph/graph.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::AsFile(data, size, ".txt");
  StatusOr<graph::Graph> g = graph::ReadSnapEdgeList(path);
  if (!g.ok()) return 0;
  for (const char* format : {"auto", "lines", "labels"})
    (void)graph::ReadCommunities(path, format, *g);
  return 0;
}
