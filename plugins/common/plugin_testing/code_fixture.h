// What the code plugins' tests share: the plugins from build/plugins, run in-process.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "exec/local_context.h"

namespace securemark::code_testing {

class CodePluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static const LoadedPlugin& Plugin(const std::string& name) { return **catalog_->Find(name); }
  static EncodedValue Output(const std::vector<OutputValue>& outs, const std::string& port) {
    for (const auto& o : outs) {
      if (o.port == port) return o.value;
    }
    ADD_FAILURE() << "no output " << port;
    return {};
  }
  static inline PluginCatalog* catalog_ = nullptr;
};

}  // namespace securemark::code_testing
