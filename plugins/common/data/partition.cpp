#include "data/partition.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

namespace securemark::data {
namespace {

std::vector<std::vector<int64_t>> SplitIid(size_t n, const PartitionOptions& o,
                                           std::mt19937_64& rng) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<int64_t>> shards(o.shards);
  for (size_t i = 0; i < n; ++i) shards[i % o.shards].push_back(order[i]);
  return shards;
}

std::vector<std::vector<int64_t>> SplitDirichlet(const std::vector<int64_t>& labels,
                                                 const PartitionOptions& o, std::mt19937_64& rng) {
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<int64_t>(i));
  std::vector<std::vector<int64_t>> shards(o.shards);
  std::gamma_distribution<double> gamma(o.alpha, 1.0);
  for (auto& [label, members] : by_class) {
    std::shuffle(members.begin(), members.end(), rng);
    std::vector<double> share(o.shards);
    double total = 0;
    for (auto& s : share) total += (s = gamma(rng));
    size_t begin = 0;
    double cumulative = 0;
    for (int64_t k = 0; k < o.shards; ++k) {
      cumulative += total > 0 ? share[k] / total : 1.0 / o.shards;
      size_t end = k + 1 == o.shards
                       ? members.size()
                       : std::min(members.size(),
                                  static_cast<size_t>(std::llround(cumulative * members.size())));
      shards[k].insert(shards[k].end(), members.begin() + begin, members.begin() + end);
      begin = std::max(begin, end);
    }
  }
  return shards;
}

}  // namespace

StatusOr<std::vector<std::vector<int64_t>>> PartitionIndices(const std::vector<int64_t>& labels,
                                                             const PartitionOptions& o) {
  if (o.shards < 1) return InvalidArgumentError("shard count must be at least 1");
  if (static_cast<int64_t>(labels.size()) < o.shards * o.min_shard_size) {
    return InvalidArgumentError("cannot give " + std::to_string(o.shards) + " shards " +
                                std::to_string(o.min_shard_size) + " examples each from " +
                                std::to_string(labels.size()) + " examples");
  }
  std::mt19937_64 rng(o.seed);
  std::vector<std::vector<int64_t>> shards;
  if (o.scheme == "iid") {
    shards = SplitIid(labels.size(), o, rng);
  } else if (o.scheme == "dirichlet") {
    if (!(o.alpha > 0)) return InvalidArgumentError("Dirichlet alpha must be positive");
    // Small alpha can leave a shard nearly empty; redraw, as is customary, a bounded
    // number of times.
    const int kAttempts = 1000;
    int attempt = 0;
    for (; attempt < kAttempts; ++attempt) {
      shards = SplitDirichlet(labels, o, rng);
      bool big_enough = std::all_of(shards.begin(), shards.end(), [&](const auto& s) {
        return static_cast<int64_t>(s.size()) >= o.min_shard_size;
      });
      if (big_enough) break;
    }
    if (attempt == kAttempts) {
      return FailedPreconditionError(
          "Dirichlet(" + std::to_string(o.alpha) + ") left a shard with fewer than " +
          std::to_string(o.min_shard_size) + " examples in " + std::to_string(kAttempts) +
          " draws; raise alpha, lower the shard count or min_shard_size");
    }
  } else {
    return InvalidArgumentError("unknown partition scheme '" + o.scheme +
                                "' (expected iid or dirichlet)");
  }
  for (auto& s : shards) std::sort(s.begin(), s.end());
  return shards;
}

Dataset Subset(const Dataset& dataset, const std::vector<int64_t>& indices) {
  Dataset out;
  for (const auto& [key, value] : dataset.attrs()) out.SetAttr(key, value);
  const int64_t n = dataset.size();
  for (const auto& [name, tensor] : dataset.tensors()) {
    if (tensor.shape().empty() || tensor.dim(0) != n) {
      out.Put(name, tensor);  // not per-example data: keep as is
      continue;
    }
    std::vector<int64_t> shape = tensor.shape();
    shape[0] = static_cast<int64_t>(indices.size());
    Tensor part(tensor.dtype(), shape);
    const size_t row = n ? tensor.nbytes() / n : 0;
    const char* src = tensor.raw_data();
    char* dst = part.mutable_raw_data();
    for (size_t i = 0; i < indices.size(); ++i) {
      std::memcpy(dst + i * row, src + indices[i] * row, row);
    }
    out.Put(name, std::move(part));
  }
  return out;
}

std::vector<int64_t> LabelsOf(const Dataset& dataset) {
  const Tensor& labels = dataset.labels();
  return std::vector<int64_t>(labels.data<int64_t>(), labels.data<int64_t>() + labels.numel());
}

}  // namespace securemark::data
