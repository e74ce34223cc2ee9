// What a vendor sold, read back from the store: a deployment is a run that delivered
// fingerprinted models to customers. Everything an investigation needs to read a
// suspect model (the projection key, the reference model the copies came from, the
// codebook and basis) is found through the deliveries' lineage, not configured again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "securemark/status.h"
#include "store.h"

namespace securemark::investigate {

struct Delivery {
  int64_t customer = 0;
  int64_t model = 0;      // the delivered Model artifact
  int64_t execution = 0;  // the delivery execution
  int64_t time_ms = 0;
};

struct Deployment {
  std::string run;  // run context name
  int64_t run_context = 0;
  std::string pipeline;
  std::vector<Delivery> deliveries;  // by customer
  int64_t key = 0;                   // TensorMap: the secret projection key
  int64_t reference = 0;             // Model the fingerprinted copies were made from
  int64_t codebook = 0;
  std::optional<int64_t> basis;
  int64_t embedding = 0;  // the execution that fingerprinted the first delivered copy
  std::string detector;   // the detector the deployment itself used (or hard_threshold)
};

// `name`: a run name, or a pipeline name (its newest run that delivered models); empty:
// the newest run in the store that delivered models.
StatusOr<Deployment> FindDeployment(store::Store& store, const std::string& name);

// The execution that wrote `artifact` (COMPLETE first, else a CACHED one), if any.
StatusOr<std::optional<store::Execution>> ProducerOf(store::Store& store, int64_t artifact);

// The artifact an execution read through input port `port`, if any.
StatusOr<std::optional<int64_t>> InputOf(store::Store& store, int64_t execution,
                                         const std::string& port);

// The pipeline context name a run belongs to ("" if none).
StatusOr<std::string> PipelineOf(store::Store& store, const store::ContextRecord& run);

}  // namespace securemark::investigate
