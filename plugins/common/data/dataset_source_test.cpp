#include "data/dataset_source.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "data/cifar_reader.h"
#include "data/idx_reader.h"
#include "data/image_folder.h"

namespace securemark::data {
namespace {
namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/dataset_source_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// An image whose pixels all equal `value`, so reading it back tells which file it was.
Image Flat(int64_t h, int64_t w, int64_t c, int value) {
  return Image{h, w, c, std::string(static_cast<size_t>(h * w * c), static_cast<char>(value))};
}

TEST(DatasetSourceTest, ReadsIdxByDirectoryAndSplit) {
  const std::string dir = FreshDir("idx");
  Tensor images(DType::kUInt8, {3, 4, 5}), labels(DType::kUInt8, {3});
  for (int i = 0; i < 3; ++i) labels.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(i + 4);
  ASSERT_TRUE(WriteIdxFile(dir + "/t10k-images-idx3-ubyte.gz", images, true).ok());
  ASSERT_TRUE(WriteIdxFile(dir + "/t10k-labels-idx1-ubyte", labels, false).ok());
  StatusOr<Dataset> test = LoadDataset({"idx", dir, "test", 2});
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->images().shape(), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(test->labels().data<int64_t>()[1], 5);
  StatusOr<Dataset> train = LoadDataset({"idx", dir, "train"});
  ASSERT_FALSE(train.ok());
  EXPECT_NE(train.status().message().find("train-images-idx3-ubyte"), std::string::npos)
      << train.status();
}

TEST(DatasetSourceTest, TellsCifar10FromCifar100ByTheirFiles) {
  const std::string ten = FreshDir("cifar10"), hundred = FreshDir("cifar100");
  CifarBatch batch{Tensor(DType::kUInt8, {2, 3, 32, 32}), Tensor(DType::kInt64, {2})};
  batch.labels.mutable_data<int64_t>()[1] = 7;
  ASSERT_TRUE(WriteCifarFile(ten + "/data_batch_1.bin", batch, 1).ok());
  ASSERT_TRUE(WriteCifarFile(ten + "/data_batch_2.bin", batch, 1).ok());
  batch.labels.mutable_data<int64_t>()[1] = 77;
  ASSERT_TRUE(WriteCifarFile(hundred + "/train.bin", batch, 2).ok());
  StatusOr<Dataset> a = LoadDataset({"cifar", ten, "train"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 4);
  EXPECT_EQ(a->Attr("classes"), "10");
  StatusOr<Dataset> b = LoadDataset({"cifar", hundred, "train"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->labels().data<int64_t>()[1], 77);
  EXPECT_EQ(b->Attr("classes"), "100");
  StatusOr<Dataset> missing = LoadDataset({"cifar", ten, "test"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("test_batch.bin"), std::string::npos);
}

TEST(DatasetSourceTest, ImageFolderWithoutSplitsHoldsOutTheSameImagesEveryTime) {
  const std::string dir = FreshDir("folder");
  for (const std::string c : {"boot", "shirt"}) {
    fs::create_directories(dir + "/" + c);
    for (int i = 0; i < 40; ++i)
      ASSERT_TRUE(WritePng(dir + "/" + c + "/" + std::to_string(i) + ".png",
                           Flat(6, 6, 3, c == "boot" ? i : 100 + i))
                      .ok());
  }
  DatasetSource s{"image_folder", dir, "train"};
  s.channels = 1;
  s.height = 4;
  s.width = 4;
  s.holdout = 0.25;
  StatusOr<Dataset> train = LoadDataset(s);
  s.split = "test";
  StatusOr<Dataset> test = LoadDataset(s);
  StatusOr<Dataset> again = LoadDataset(s);
  ASSERT_TRUE(train.ok() && test.ok() && again.ok()) << train.status() << test.status();
  EXPECT_EQ(train->images().shape(), (std::vector<int64_t>{train->size(), 1, 4, 4}));
  EXPECT_EQ(train->size() + test->size(), 80);
  // About a quarter held out, from both classes, and never the same image in both.
  EXPECT_GT(test->size(), 8);
  EXPECT_LT(test->size(), 32);
  auto firsts = [](const Dataset& d) {
    std::set<int> pixels;
    const int64_t row = d.images().numel() / d.size();
    for (int64_t i = 0; i < d.size(); ++i) pixels.insert(d.images().data<uint8_t>()[i * row]);
    return pixels;
  };
  std::set<int> in_train = firsts(*train), in_test = firsts(*test);
  for (int p : in_test) EXPECT_EQ(in_train.count(p), 0u) << "image " << p << " in both splits";
  EXPECT_EQ(in_test, firsts(*again));
  std::set<int64_t> test_labels(test->labels().data<int64_t>(),
                                test->labels().data<int64_t>() + test->size());
  EXPECT_EQ(test_labels.size(), 2u);
}

TEST(DatasetSourceTest, ImageFolderWithTrainAndTestFoldersUsesThem) {
  const std::string dir = FreshDir("split_folders");
  for (const std::string split : {"train", "test"}) {
    fs::create_directories(dir + "/" + split + "/a");
    ASSERT_TRUE(
        WritePng(dir + "/" + split + "/a/x.png", Flat(5, 5, 1, split == "test" ? 9 : 3)).ok());
  }
  DatasetSource s{"image_folder", dir, "test"};
  s.channels = 1;
  StatusOr<Dataset> test = LoadDataset(s);
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ(test->size(), 1);
  EXPECT_EQ(test->images().data<uint8_t>()[0], 9);
}

TEST(DatasetSourceTest, ConformsGreyAndRgbAndSizes) {
  Tensor grey(DType::kUInt8, {1, 2, 2});
  for (int i = 0; i < 4; ++i) grey.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(10 * i);
  StatusOr<Tensor> rgb = ConformImages(grey, 3, 4, 4);
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(rgb->shape(), (std::vector<int64_t>{1, 3, 4, 4}));
  // Nearest neighbour: the bottom-right quarter of every plane is the last pixel.
  EXPECT_EQ(rgb->data<uint8_t>()[2 * 16 + 15], 30);
  StatusOr<Tensor> back = ConformImages(*rgb, 1, 2, 2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shape(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(back->data<uint8_t>()[3], 30);
  // Already the right shape: unchanged, still three-dimensional.
  StatusOr<Tensor> same = ConformImages(grey, 1, 2, 2);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->shape(), grey.shape());
  EXPECT_FALSE(ConformImages(Tensor(DType::kFloat32, {1, 2, 2}), 3, 0, 0).ok());
  EXPECT_FALSE(ConformImages(Tensor(DType::kUInt8, {1, 4, 2, 2}), 1, 0, 0).ok());
}

TEST(DatasetSourceTest, RefusesWhatItCannotRead) {
  auto message = [](DatasetSource s) { return std::string(LoadDataset(s).status().message()); };
  EXPECT_NE(message({"png", "/tmp"}).find("idx|cifar|image_folder"), std::string::npos);
  EXPECT_NE(message({"idx", ""}).find("dir"), std::string::npos);
  EXPECT_NE(message({"image_folder", "/nonexistent/x"}).find("not a directory"), std::string::npos);
  EXPECT_NE(message({"idx", "/tmp", "validation"}).find("train or test"), std::string::npos);
  DatasetSource one_side{"idx", "/tmp"};
  one_side.height = 28;
  EXPECT_NE(message(one_side).find("both height and width"), std::string::npos);
}

}  // namespace
}  // namespace securemark::data
