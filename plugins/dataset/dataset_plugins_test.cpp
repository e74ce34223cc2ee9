// Runs the real dataset plugins, loaded from build/plugins, on Fashion-MNIST and on
// generated files.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/cifar_reader.h"
#include "data/idx_reader.h"
#include "data/image_folder.h"
#include "exec/local_context.h"

namespace securemark {
namespace {

class DatasetPluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static const LoadedPlugin& Plugin(const std::string& name) { return **catalog_->Find(name); }

  std::string TempDir() {
    std::string dir = testing::TempDir() + "/dataset_plugins_test";
    std::filesystem::create_directories(dir);
    return dir;
  }

  static PluginCatalog* catalog_;
};
PluginCatalog* DatasetPluginsTest::catalog_ = nullptr;

TEST_F(DatasetPluginsTest, ReadsFashionMnist) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  auto out = RunNode(Plugin("dataset.idx"),
                     {{"limit", int64_t{1000}}, {"split", std::string("test")}}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  StatusOr<Dataset> d = Dataset::Decode((*out)[0].value.bytes);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->images().ShapeString(), "uint8[1000,28,28]");
  EXPECT_EQ(d->Attr("classes"), "10");
  EXPECT_EQ(d->Attr("name"), "fashion-mnist/test");
}

TEST_F(DatasetPluginsTest, ReadsExplicitFilesAndChecksCounts) {
  std::string dir = TempDir();
  ASSERT_TRUE(data::WriteIdxFile(dir + "/img.idx", Tensor(DType::kUInt8, {6, 4, 4}), false).ok());
  ASSERT_TRUE(data::WriteIdxFile(dir + "/lab.idx",
                                 Tensor::FromVector<uint8_t>({6}, {0, 1, 2, 0, 1, 2}), true)
                  .ok());
  ASSERT_TRUE(data::WriteIdxFile(dir + "/short.idx", Tensor(DType::kUInt8, {5}), false).ok());
  auto ok = RunNode(Plugin("dataset.idx"),
                    {{"images", dir + "/img.idx"}, {"labels", dir + "/lab.idx"}}, {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(Dataset::Decode((*ok)[0].value.bytes)->Attr("classes"), "3");

  auto mismatch = RunNode(Plugin("dataset.idx"),
                          {{"images", dir + "/img.idx"}, {"labels", dir + "/short.idx"}}, {});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("holds 6 images but"), std::string::npos)
      << mismatch.status();
}

TEST_F(DatasetPluginsTest, MissingDirectoryNamesThePackage) {
  auto out = RunNode(Plugin("dataset.idx"), {{"dir", std::string("/nonexistent/dir")}}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound);
  EXPECT_NE(out.status().message().find("dataset-fashion-mnist"), std::string::npos);
}

TEST_F(DatasetPluginsTest, ReadsCifarBatchesFromADirectory) {
  std::string dir = TempDir() + "/cifar10";
  std::filesystem::create_directories(dir);
  for (const char* name : {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                           "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}) {
    data::CifarBatch b{Tensor(DType::kUInt8, {4, 3, 32, 32}),
                       Tensor::FromVector<int64_t>({4}, {0, 3, 9, 1})};
    ASSERT_TRUE(data::WriteCifarFile(dir + "/" + name, b, 1).ok());
  }
  auto out = RunNode(Plugin("dataset.cifar"), {{"dir", dir}, {"limit", int64_t{18}}}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  StatusOr<Dataset> d = Dataset::Decode((*out)[0].value.bytes);
  EXPECT_EQ(d->images().ShapeString(), "uint8[18,3,32,32]");
  auto missing = RunNode(Plugin("dataset.cifar"), {{"dir", dir + "/nope"}}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("data_batch_1.bin"), std::string::npos)
      << missing.status();
}

TEST_F(DatasetPluginsTest, ReadsAnImageFolder) {
  std::string root = TempDir() + "/faces";
  for (const char* person : {"ada", "bob"}) {
    std::filesystem::create_directories(root + "/" + person);
    data::Image img{10, 10, 3, std::string(300, '\x40')};
    ASSERT_TRUE(data::WritePng(root + "/" + person + "/1.png", img).ok());
    ASSERT_TRUE(data::WriteJpeg(root + "/" + person + "/2.jpg", img).ok());
  }
  auto out = RunNode(
      Plugin("dataset.image_folder"),
      {{"root", root}, {"height", int64_t{4}}, {"width", int64_t{4}}, {"channels", int64_t{1}}},
      {});
  ASSERT_TRUE(out.ok()) << out.status();
  StatusOr<Dataset> d = Dataset::Decode((*out)[0].value.bytes);
  EXPECT_EQ(d->images().ShapeString(), "uint8[4,1,4,4]");
  EXPECT_EQ(d->Attr("classes"), "2");
  auto half = RunNode(Plugin("dataset.image_folder"), {{"root", root}, {"height", int64_t{4}}}, {});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("set both height and width"), std::string::npos);
}

TEST_F(DatasetPluginsTest, PartitionsIntoShardsWithSummary) {
  Dataset d;
  Tensor labels(DType::kInt64, {100});
  for (int i = 0; i < 100; ++i) labels.mutable_data<int64_t>()[i] = i % 5;
  d.Put("images", Tensor(DType::kUInt8, {100, 2, 2}));
  d.Put("labels", labels);
  InputValues in;
  in["data"].push_back({"Dataset", d.Encode(), false});
  auto out = RunNode(Plugin("dataset.partition"),
                     {{"count", int64_t{3}}, {"scheme", std::string("dirichlet")}, {"alpha", 1.0}},
                     std::move(in));
  ASSERT_TRUE(out.ok()) << out.status();
  int shards = 0;
  int64_t total = 0;
  for (const auto& o : *out) {
    if (o.port != "shards") {
      auto summary = nlohmann::json::parse(o.value.bytes);
      EXPECT_EQ(summary["shards"].size(), 3u);
      continue;
    }
    EXPECT_EQ(o.index, static_cast<size_t>(shards));
    total += Dataset::Decode(o.value.bytes)->size();
    ++shards;
  }
  EXPECT_EQ(shards, 3);
  EXPECT_EQ(total, 100);
}

}  // namespace
}  // namespace securemark
