#include "util/printable.h"

#include <gtest/gtest.h>

namespace securemark {
namespace {

TEST(PrintableTest, EscapesControlsAndBrokenUtf8AndCutsLongText) {
  EXPECT_EQ(Printable("plain text\twith\nlines"), "plain text\twith\nlines");
  EXPECT_EQ(Printable("\x1b[2Jerased\r"), "\\x1B[2Jerased\\x0D");
  EXPECT_EQ(Printable("caf\xc3\xa9 \xff"), "caf\xc3\xa9 \\xFF");
  EXPECT_EQ(Printable(std::string(20, 'a'), 5), "aaaaa... (15 more bytes)");
  EXPECT_EQ(Printable(std::string("nul\0byte", 8)), "nul\\x00byte");
}

}  // namespace
}  // namespace securemark
