// embedder.projection: a fingerprint that does not fit the layer is refused.

#include <gtest/gtest.h>

#include "plugin_testing/fingerprint_fixture.h"

namespace securemark::fingerprint_testing {
namespace {

TEST_F(FingerprintPluginsTest, AFingerprintLongerThanTheLayerIsRefused) {
  auto out = Embed(1, {{"layer", std::string("conv1")}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("31-entry fingerprint does not fit layer 'conv1'"),
            std::string::npos)
      << out.status();
  auto missing = Embed(1, {{"layer", std::string("conv7")}});
  EXPECT_NE(missing.status().message().find("layers: conv1, conv2"), std::string::npos)
      << missing.status();
  auto stranger = Embed(31);
  EXPECT_NE(stranger.status().message().find("customer 31 is not in"), std::string::npos)
      << stranger.status();
}

}  // namespace
}  // namespace securemark::fingerprint_testing
