#include "data/cifar_reader.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "securemark/files.h"

namespace securemark::data {
namespace {

CifarBatch Batch(int64_t n) {
  CifarBatch b{Tensor(DType::kUInt8, {n, 3, 32, 32}), Tensor(DType::kInt64, {n})};
  for (int64_t i = 0; i < b.images.numel(); ++i)
    b.images.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(i * 31);
  for (int64_t i = 0; i < n; ++i) b.labels.mutable_data<int64_t>()[i] = i % 10;
  return b;
}

std::string Temp(const std::string& name) {
  std::filesystem::create_directories(testing::TempDir() + "/cifar");
  return testing::TempDir() + "/cifar/" + name;
}

TEST(CifarReaderTest, ReadsRecordsAcrossFilesWithALimit) {
  ASSERT_TRUE(WriteCifarFile(Temp("a.bin"), Batch(5), 1).ok());
  ASSERT_TRUE(WriteCifarFile(Temp("b.bin"), Batch(4), 1).ok());
  StatusOr<CifarBatch> all = ReadCifarFiles({Temp("a.bin"), Temp("b.bin")}, 1, 9);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->images.ShapeString(), "uint8[9,3,32,32]");
  EXPECT_EQ(all->labels.data<int64_t>()[6], 1);  // second file, record 1
  EXPECT_EQ(all->images.bytes().substr(0, 3072), Batch(5).images.bytes().substr(0, 3072));
  StatusOr<CifarBatch> some = ReadCifarFiles({Temp("a.bin"), Temp("b.bin")}, 1, 9, 7);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->labels.numel(), 7);
}

TEST(CifarReaderTest, Cifar100UsesTheFineLabel) {
  CifarBatch b = Batch(3);
  b.labels.mutable_data<int64_t>()[2] = 87;
  ASSERT_TRUE(WriteCifarFile(Temp("c100.bin"), b, 2).ok());
  StatusOr<CifarBatch> r = ReadCifarFiles({Temp("c100.bin")}, 2, 99);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->labels.data<int64_t>()[2], 87);
}

TEST(CifarReaderTest, TruncatedFilesAndBadLabelsNameFileAndOffset) {
  ASSERT_TRUE(WriteCifarFile(Temp("full.bin"), Batch(3), 1).ok());
  std::string bytes = *ReadFile(Temp("full.bin"));
  ASSERT_TRUE(WriteFileAtomic(Temp("cut.bin"), bytes.substr(0, bytes.size() - 100)).ok());
  Status cut = ReadCifarFiles({Temp("cut.bin")}, 1, 9).status();
  EXPECT_EQ(cut.code(), StatusCode::kDataLoss);
  EXPECT_NE(cut.message().find(
                "cut.bin: 9119 bytes is not a whole number of 3073-byte records; the last record "
                "starts at offset 6146"),
            std::string::npos)
      << cut;
  bytes[3073] = 42;  // record 1's label
  ASSERT_TRUE(WriteFileAtomic(Temp("label.bin"), bytes).ok());
  Status label = ReadCifarFiles({Temp("label.bin")}, 1, 9).status();
  EXPECT_NE(label.message().find("label.bin: label 42 at offset 3073 is above 9"),
            std::string::npos)
      << label;
  EXPECT_EQ(ReadCifarFiles({Temp("nothing.bin")}, 1, 9).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace securemark::data
