// The YAML pipeline parser and the validator: any text must come back as diagnostics,
// never as a crash, a hang or unbounded memory.
#include <cstdint>
#include <string>

#include "loader/plugin_catalog.h"
#include "pipeline/compiler.h"
#include "pipeline/parser.h"

using namespace securemark;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const PluginCatalog catalog = PluginCatalog::Discover(
      {SECUREMARK_BUILD_DIR "/plugins", SECUREMARK_BUILD_DIR "/test-plugins/good",
       SECUREMARK_BUILD_DIR "/test-plugins/pipeline"});
  const std::string text(reinterpret_cast<const char*>(data), size);
  pipeline::ParseResult parsed = pipeline::ParsePipelineText(text, "fuzz.yaml");
  if (!parsed.diagnostics.empty()) return 0;
  pipeline::CompileResult compiled = pipeline::Compile(parsed.spec, catalog);
  (void)compiled;
  return 0;
}
