#include "data/image_folder.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "securemark/files.h"

namespace securemark::data {
namespace {
namespace fs = std::filesystem;

Image Gradient(int64_t h, int64_t w, int64_t c) {
  Image img{h, w, c, std::string(h * w * c, '\0')};
  for (int64_t i = 0; i < h * w * c; ++i) img.pixels[i] = static_cast<char>((i * 7) % 256);
  return img;
}

class ImageFolderTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/image_folder_" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_ + "/cat");
    fs::create_directories(root_ + "/dog");
  }
  std::string root_;
};

TEST_F(ImageFolderTest, ReadsPngAndJpegIntoLabelledPlanes) {
  ASSERT_TRUE(WritePng(root_ + "/cat/a.png", Gradient(12, 10, 3)).ok());
  ASSERT_TRUE(WriteJpeg(root_ + "/cat/b.jpg", Gradient(20, 16, 3)).ok());
  ASSERT_TRUE(WritePng(root_ + "/dog/c.PNG", Gradient(12, 10, 1)).ok());
  ASSERT_TRUE(WriteFileAtomic(root_ + "/dog/notes.txt", "not an image").ok());
  ImageFolderOptions o;
  o.height = 8;
  o.width = 8;
  StatusOr<Dataset> d = ReadImageFolder(root_, o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->images().ShapeString(), "uint8[3,3,8,8]");
  EXPECT_EQ(d->labels().data<int64_t>()[0], 0);
  EXPECT_EQ(d->labels().data<int64_t>()[2], 1);
  EXPECT_EQ(d->Attr("class_names"), "cat\ndog\n");
  // The PNG decodes exactly: pixel (0,0) of the first image, red plane.
  EXPECT_EQ(d->images().data<uint8_t>()[0], 0);
  EXPECT_EQ(d->images().data<uint8_t>()[64 * 1], 7);  // green plane starts one channel later
}

TEST_F(ImageFolderTest, MismatchedSizesWithoutResizeNameTheFile) {
  ASSERT_TRUE(WritePng(root_ + "/cat/a.png", Gradient(12, 10, 3)).ok());
  ASSERT_TRUE(WritePng(root_ + "/dog/b.png", Gradient(6, 6, 3)).ok());
  StatusOr<Dataset> d = ReadImageFolder(root_, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("b.png is 6x6 but earlier images are 10x12"),
            std::string::npos)
      << d.status();
}

TEST_F(ImageFolderTest, CorruptImagesNameTheFile) {
  ASSERT_TRUE(WritePng(root_ + "/cat/a.png", Gradient(12, 10, 3)).ok());
  std::string png = *ReadFile(root_ + "/cat/a.png");
  ASSERT_TRUE(WriteFileAtomic(root_ + "/dog/cut.png", png.substr(0, png.size() / 2)).ok());
  StatusOr<Dataset> d = ReadImageFolder(root_, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("cut.png"), std::string::npos) << d.status();
  ASSERT_TRUE(WriteJpeg(root_ + "/cat/b.jpg", Gradient(12, 10, 3)).ok());
  std::string jpg = *ReadFile(root_ + "/cat/b.jpg");
  fs::remove(root_ + "/dog/cut.png");
  ASSERT_TRUE(WriteFileAtomic(root_ + "/dog/cut.jpg", jpg.substr(0, 40)).ok());
  StatusOr<Dataset> j = ReadImageFolder(root_, {});
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("cut.jpg: corrupt JPEG"), std::string::npos) << j.status();
  EXPECT_EQ(ReadImageFolder(root_ + "/missing", {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace securemark::data
