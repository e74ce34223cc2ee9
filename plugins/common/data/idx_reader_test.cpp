#include "data/idx_reader.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "securemark/files.h"

namespace securemark::data {
namespace {

class IdxReaderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/idx_reader_test";
    std::filesystem::create_directories(dir_);
    images_ = Tensor(DType::kUInt8, {5, 3, 2});
    for (int64_t i = 0; i < images_.numel(); ++i) images_.mutable_data<uint8_t>()[i] = i * 7 % 256;
  }
  std::string Path(const std::string& name) { return dir_ + "/" + name; }
  std::string dir_;
  Tensor images_;
};

TEST_F(IdxReaderTest, ReadsPlainAndGzipFiles) {
  for (bool gzip : {false, true}) {
    std::string path = Path(gzip ? "a.idx.gz" : "a.idx");
    ASSERT_TRUE(WriteIdxFile(path, images_, gzip).ok());
    StatusOr<Tensor> t = ReadIdxFile(path);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->ShapeString(), "uint8[5,3,2]");
    EXPECT_EQ(t->bytes(), images_.bytes());
  }
}

TEST_F(IdxReaderTest, ConvertsBigEndianTypes) {
  Tensor f = Tensor::FromVector<float>({3}, {1.5f, -2.0f, 1e-3f});
  Tensor i = Tensor::FromVector<int32_t>({2}, {-7, 1 << 20});
  ASSERT_TRUE(WriteIdxFile(Path("f.idx"), f, false).ok());
  ASSERT_TRUE(WriteIdxFile(Path("i.idx"), i, true).ok());
  EXPECT_EQ(ReadIdxFile(Path("f.idx"))->data<float>()[1], -2.0f);
  EXPECT_EQ(ReadIdxFile(Path("i.idx"))->data<int32_t>()[0], -7);
  EXPECT_EQ(ReadIdxFile(Path("i.idx"))->data<int32_t>()[1], 1 << 20);
}

TEST_F(IdxReaderTest, LimitReadsOnlyTheFirstItems) {
  ASSERT_TRUE(WriteIdxFile(Path("a.idx"), images_, false).ok());
  StatusOr<Tensor> t = ReadIdxFile(Path("a.idx"), 2);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ShapeString(), "uint8[2,3,2]");
  EXPECT_EQ(t->bytes(), images_.bytes().substr(0, 12));
}

TEST_F(IdxReaderTest, TruncatedDataNamesFileAndOffset) {
  ASSERT_TRUE(WriteIdxFile(Path("a.idx"), images_, false).ok());
  std::string bytes = *ReadFile(Path("a.idx"));
  ASSERT_TRUE(WriteFileAtomic(Path("cut.idx"), bytes.substr(0, bytes.size() - 4)).ok());
  StatusOr<Tensor> t = ReadIdxFile(Path("cut.idx"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  // Header 16 bytes + 4 complete items of 6 bytes: item 4 starts at offset 40.
  EXPECT_NE(t.status().message().find(Path("cut.idx")), std::string::npos) << t.status();
  EXPECT_NE(t.status().message().find("truncated IDX data at offset 40: item 4 of 5"),
            std::string::npos)
      << t.status();
}

TEST_F(IdxReaderTest, TruncatedHeaderIsReported) {
  ASSERT_TRUE(WriteFileAtomic(Path("h.idx"), std::string("\0\0\x08\x03\0\0", 6)).ok());
  StatusOr<Tensor> t = ReadIdxFile(Path("h.idx"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("truncated IDX header at offset 4"), std::string::npos)
      << t.status();
}

TEST_F(IdxReaderTest, CorruptMagicAndTypeAreReported) {
  ASSERT_TRUE(WriteFileAtomic(Path("m.idx"), std::string("\x12\x34\x08\x01\0\0\0\0", 8)).ok());
  EXPECT_NE(ReadIdxFile(Path("m.idx")).status().message().find("not an IDX file"),
            std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(Path("t.idx"), std::string("\0\0\x42\x01\0\0\0\0", 8)).ok());
  EXPECT_NE(ReadIdxFile(Path("t.idx"))
                .status()
                .message()
                .find("unknown IDX element type 0x42 at offset 2"),
            std::string::npos);
}

TEST_F(IdxReaderTest, TrailingBytesAreReported) {
  ASSERT_TRUE(WriteIdxFile(Path("a.idx"), images_, false).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("x.idx"), *ReadFile(Path("a.idx")) + "junk").ok());
  EXPECT_NE(ReadIdxFile(Path("x.idx"))
                .status()
                .message()
                .find("4 unexpected bytes after the data at offset 46"),
            std::string::npos);
}

TEST_F(IdxReaderTest, CorruptAndTruncatedGzipAreReported) {
  ASSERT_TRUE(WriteIdxFile(Path("a.idx.gz"), images_, true).ok());
  std::string gz = *ReadFile(Path("a.idx.gz"));
  ASSERT_TRUE(WriteFileAtomic(Path("cut.gz"), gz.substr(0, gz.size() / 2)).ok());
  StatusOr<Tensor> cut = ReadIdxFile(Path("cut.gz"));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("truncated gzip stream"), std::string::npos)
      << cut.status();
  std::string flipped = gz;
  for (size_t i = 12; i < flipped.size() - 8; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  ASSERT_TRUE(WriteFileAtomic(Path("bad.gz"), flipped).ok());
  StatusOr<Tensor> bad = ReadIdxFile(Path("bad.gz"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(Path("bad.gz")), std::string::npos) << bad.status();
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
}

// A labels file passed as the images, /dev/zero and a FIFO are refused with the reason.
TEST_F(IdxReaderTest, ImagesMustBeImagesInARegularFile) {
  Tensor labels(DType::kUInt8, {5});
  ASSERT_TRUE(WriteIdxFile(Path("labels.idx"), labels, false).ok());
  ASSERT_TRUE(WriteIdxFile(Path("images.idx"), images_, false).ok());
  StatusOr<Dataset> swapped = ReadIdxDataset(Path("labels.idx"), Path("labels.idx"), 0);
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("rank 3 or more"), std::string::npos)
      << swapped.status();
  StatusOr<Dataset> zero = ReadIdxDataset("/dev/zero", Path("labels.idx"), 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("/dev/zero: is a character device"), std::string::npos)
      << zero.status();
  EXPECT_TRUE(ReadIdxDataset(Path("images.idx"), Path("labels.idx"), 0).ok());
}

TEST_F(IdxReaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadIdxFile(Path("missing.idx")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace securemark::data
