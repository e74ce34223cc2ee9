// cic.bibd: impossible designs and oversized bases are refused.

#include <gtest/gtest.h>

#include "plugin_testing/code_fixture.h"

namespace securemark::code_testing {
namespace {

TEST_F(CodePluginsTest, ImpossibleDesignsAndOversizedBasesAreRefused) {
  auto bad = RunNode(Plugin("cic.bibd"), {{"design", std::string("pg2")}, {"q", int64_t{6}}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("q must be a prime power"), std::string::npos);
  auto big = RunNode(Plugin("cic.bibd"), {{"design", std::string("ag3")}, {"q", int64_t{17}}}, {});
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("too long for a dense basis"), std::string::npos)
      << big.status();
}

}  // namespace
}  // namespace securemark::code_testing
