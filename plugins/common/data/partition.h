// Splitting a labelled dataset among data owners: IID, or non-IID with per-class shares
// drawn from Dirichlet(alpha) (small alpha = each owner sees few classes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::data {

struct PartitionOptions {
  int64_t shards = 2;
  std::string scheme = "iid";  // "iid" or "dirichlet"
  double alpha = 0.5;
  int64_t min_shard_size = 1;
  uint64_t seed = 0;
};

// Indices of the examples in each shard, each list sorted. Deterministic for a seed.
StatusOr<std::vector<std::vector<int64_t>>> PartitionIndices(const std::vector<int64_t>& labels,
                                                             const PartitionOptions& options);

// The examples at `indices`, in that order, with the dataset's attributes.
Dataset Subset(const Dataset& dataset, const std::vector<int64_t>& indices);

std::vector<int64_t> LabelsOf(const Dataset& dataset);

}  // namespace securemark::data
