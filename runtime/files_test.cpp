#include "securemark/files.h"

#include <sys/stat.h>
#include <filesystem>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace securemark {
namespace {

TEST(FilesTest, AtomicWriteReplacesContentAndSetsMode) {
  std::string dir = testing::TempDir() + "/files_test";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/secret.bin";
  ASSERT_TRUE(WriteFileAtomic(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "two");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left behind.
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

TEST(FilesTest, MissingFileIsNamed) {
  StatusOr<std::string> r = ReadFile("/nonexistent/securemark/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/securemark/file"), std::string::npos);
}

// Devices never end and a FIFO without a writer never opens: only regular files are read.
TEST(FilesTest, OnlyRegularFilesAreRead) {
  const std::string dir = testing::TempDir() + "/files_special";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& [path, kind] : std::vector<std::pair<std::string, std::string>>{
           {"/dev/zero", "a character device"}, {fifo, "a FIFO"}, {dir, "a directory"}}) {
    StatusOr<std::string> r = ReadFile(path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_NE(r.status().message().find(path + ": is " + kind), std::string::npos) << r.status();
  }
}

// /proc files report a size of 0 and are still read to their end.
TEST(FilesTest, FilesThatReportNoSizeAreReadToTheirEnd) {
  StatusOr<std::string> cmdline = ReadFile("/proc/self/cmdline");
  ASSERT_TRUE(cmdline.ok()) << cmdline.status();
  EXPECT_NE(cmdline->find("runtime_test"), std::string::npos);
}

}  // namespace
}  // namespace securemark
