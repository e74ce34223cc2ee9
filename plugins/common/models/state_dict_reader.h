// The weights in a torch.save checkpoint, read with the project's own pickle reader (no
// Python, nothing executed). Accepted: a state_dict (dict or OrderedDict) at the top, or
// under any key of a wrapper dict ("state_dict", "model", "model_state_dict", "net", ...)
// with other entries beside it (epoch, optimizer state); DataParallel's "module." and
// torch.compile's "_orig_mod." prefixes; float16, bfloat16, float32 and float64 tensors.
// Refused, with how to save instead: pickled nn.Modules or other Python objects, the
// legacy (pre-1.6) format, big-endian archives. LibTorch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "securemark/status.h"

namespace securemark::models {

struct CheckpointTensor {
  std::string dtype;  // storage element type: Float, Double, Half, BFloat16, Long, ...
  std::vector<int64_t> shape, stride;
  int64_t offset = 0;   // in elements
  std::string storage;  // key into StateDict::storages
};

struct StateDict {
  // By the names asked for (the architecture's), whatever the file called them.
  std::map<std::string, CheckpointTensor> tensors;
  std::map<std::string, std::string> storages;  // key -> raw little-endian bytes
  std::string where;                            // e.g. "under key 'model'"
};

// Bytes per element of a storage type, 0 if unknown.
int64_t ElementSize(const std::string& dtype);

// Finds, in the checkpoint, the dictionary holding every name in `parameters` (exactly,
// after removing wrapper prefixes, or with '.' and '_' taken as equal) and returns those
// tensors, plus those of `optional` that are present. An empty `parameters` takes the
// largest dictionary of tensors.
StatusOr<StateDict> ReadStateDict(std::string_view archive,
                                  const std::vector<std::string>& parameters,
                                  const std::vector<std::string>& optional = {});

}  // namespace securemark::models
