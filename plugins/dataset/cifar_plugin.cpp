// dataset.cifar: CIFAR-10 or CIFAR-100 binary batches into a Dataset (uint8 [N,3,32,32]).
// The data sets are not packaged for Debian: point `dir` at a downloaded copy.
#include <filesystem>

#include "data/cifar_reader.h"
#include "securemark/node.h"

namespace securemark {
namespace {
namespace fs = std::filesystem;

class CifarDataset : public Node {
 public:
  static constexpr Output<Dataset> kDataset{"dataset",
                                            "Images uint8[N,3,32,32] and labels int64[N]."};
  static constexpr Param<std::string> kDir{"dir", "", "Directory with the standard batch files."};
  static constexpr Param<std::vector<std::string>> kFiles{
      "files", "[]", "Batch files to read (overrides dir/split)."};
  static constexpr Param<std::string> kVariant{"variant", "cifar10", "cifar10 or cifar100.",
                                               Choices{"cifar10|cifar100"}};
  static constexpr Param<std::string> kSplit{"split", "train", "train or test batches.",
                                             Choices{"train|test"}};
  static constexpr Param<int64_t> kLimit{"limit", 0, "Read only the first N examples (0 = all).",
                                         Range{0, 1e9}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Reads CIFAR-10/100 binary batches.", kDataset, kDir, kFiles,
                           kVariant, kSplit, kLimit);
  }

  Status Process(Context& ctx) override {
    const bool hundred = ctx.Get(kVariant) == "cifar100";
    std::vector<std::string> files = ctx.Get(kFiles);
    if (files.empty()) {
      if (ctx.Get(kDir).empty())
        return InvalidArgumentError("give 'dir' (the extracted batches) or 'files'");
      std::vector<std::string> names;
      if (hundred) {
        names = {ctx.Get(kSplit) == "train" ? "train.bin" : "test.bin"};
      } else if (ctx.Get(kSplit) == "train") {
        for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
      } else {
        names = {"test_batch.bin"};
      }
      for (const auto& n : names) files.push_back((fs::path(ctx.Get(kDir)) / n).string());
    }
    SM_ASSIGN_OR_RETURN(
        data::CifarBatch batch,
        data::ReadCifarFiles(files, hundred ? 2 : 1, hundred ? 99 : 9, ctx.Get(kLimit)));
    Dataset dataset;
    dataset.Put("images", std::move(batch.images));
    dataset.Put("labels", std::move(batch.labels));
    dataset.SetAttr("name", ctx.Get(kVariant) + "/" + ctx.Get(kSplit));
    dataset.SetAttr("classes", hundred ? "100" : "10");
    ctx.Info("read " + dataset.images().ShapeString());
    return ctx.Set(kDataset, dataset);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CifarDataset, dataset, cifar)
