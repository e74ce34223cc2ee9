// dataset.partition: splits a dataset into shards for data owners, IID or Dirichlet(alpha).
#include <map>

#include <nlohmann/json.hpp>

#include "data/partition.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class Partition : public Node {
 public:
  static constexpr Input<Dataset> kData{"data", "The dataset to split."};
  static constexpr auto kShards =
      Output<Dataset>::Many("shards", "One dataset per shard, in order.");
  static constexpr Output<JsonDocument> kSummary{"summary",
                                                 "Per-shard sizes and class histograms."};
  static constexpr Param<int64_t> kCount{"count", 4, "Number of shards.", Range{1, 4096}};
  static constexpr Param<std::string> kScheme{"scheme", "iid", "iid, or dirichlet (non-IID).",
                                              Choices{"iid|dirichlet"}};
  static constexpr Param<double> kAlpha{
      "alpha", 0.5, "Dirichlet concentration; smaller = more skewed.", Range{1e-3, 1e6}};
  static constexpr Param<int64_t> kMinSize{
      "min_shard_size", 1, "Redraw until every shard has this many examples.", Range{0, 1e9}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Random seed.", Range{0, 9.2e18}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Splits a dataset into N shards, IID or Dirichlet non-IID.",
                           kData, kShards, kSummary, kCount, kScheme, kAlpha, kMinSize, kSeed);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(Dataset dataset, ctx.Get(kData));
    data::PartitionOptions options;
    options.shards = ctx.Get(kCount);
    options.scheme = ctx.Get(kScheme);
    options.alpha = ctx.Get(kAlpha);
    options.min_shard_size = ctx.Get(kMinSize);
    options.seed = static_cast<uint64_t>(ctx.Get(kSeed));
    const std::vector<int64_t> labels = data::LabelsOf(dataset);
    SM_ASSIGN_OR_RETURN(auto shards, data::PartitionIndices(labels, options));

    nlohmann::json summary = {{"scheme", options.scheme},
                              {"count", options.shards},
                              {"examples", labels.size()},
                              {"shards", nlohmann::json::array()}};
    if (options.scheme == "dirichlet") summary["alpha"] = options.alpha;
    for (size_t k = 0; k < shards.size(); ++k) {
      if (ctx.Cancelled()) return CancelledError("partition cancelled");
      Dataset shard = data::Subset(dataset, shards[k]);
      shard.SetAttr("shard", std::to_string(k));
      shard.SetAttr("shards", std::to_string(shards.size()));
      SM_RETURN_IF_ERROR(ctx.Add(kShards, shard));
      std::map<std::string, int64_t> histogram;
      for (int64_t i : shards[k]) ++histogram[std::to_string(labels[i])];
      summary["shards"].push_back({{"size", shards[k].size()}, {"classes", histogram}});
      std::string line = "shard " + std::to_string(k) + ": " + std::to_string(shards[k].size()) +
                         " examples; per class";
      for (const auto& [label, count] : histogram)
        line += " " + label + ":" + std::to_string(count);
      ctx.Info(line);
      ctx.Progress(static_cast<double>(k + 1), static_cast<double>(shards.size()), "shard");
    }
    return ctx.Set(kSummary, JsonDocument(summary.dump()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::Partition, dataset, partition)
