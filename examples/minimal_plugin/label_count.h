// example.label_count: counts the examples per label in a Dataset. It uses nothing but the
// installed SDK headers.
#pragma once

#include <map>
#include <string>

#include <securemark/node.h>

namespace example {

using namespace securemark;

class LabelCount : public Node {
 public:
  static constexpr Input<Dataset> kData{"data", "Labelled examples."};
  static constexpr Output<JsonDocument> kCounts{"counts", "{label: count}."};
  static constexpr Param<int64_t> kMinimum{"minimum", 0, "Omit labels with fewer examples.",
                                           Range{0, 1e9}};

  static Contract GetContract() {
    return Contract::Build("0.1.0", "Counts examples per label (out-of-tree example).", kData,
                           kCounts, kMinimum);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(Dataset data, ctx.Get(kData));
    std::map<int64_t, int64_t> counts;
    const Tensor& labels = data.labels();
    for (int64_t i = 0; i < labels.numel(); ++i) ++counts[labels.data<int64_t>()[i]];
    std::string json = "{";
    for (const auto& [label, count] : counts) {
      if (count < ctx.Get(kMinimum)) continue;
      if (json.size() > 1) json += ",";
      json += "\"" + std::to_string(label) + "\":" + std::to_string(count);
    }
    return ctx.Set(kCounts, JsonDocument(json + "}"));
  }
};

}  // namespace example
