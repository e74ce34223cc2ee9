#include "pipeline/parser.h"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

namespace securemark::pipeline {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> SchemaKeys(const nlohmann::json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.at("properties").items()) keys.push_back(key);
  EXPECT_EQ(object.value("additionalProperties", true), false) << object.dump();
  return Sorted(keys);
}

// The published JSON Schema (for editors) and the parser accept the same keys, so a key
// added to one without the other fails here.
TEST(ParserTest, TheJsonSchemaListsExactlyTheKeysTheParserAccepts) {
  std::ifstream in(std::string(SECUREMARK_SOURCE_DIR) + "/pipelines/schema/pipeline.schema.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json schema = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(schema.is_object());
  const nlohmann::json& step = schema.at("$defs").at("step");
  EXPECT_EQ(SchemaKeys(schema), Sorted(AllowedKeys().pipeline));
  EXPECT_EQ(SchemaKeys(step), Sorted(AllowedKeys().step));
  EXPECT_EQ(SchemaKeys(step.at("properties").at("runtime")), Sorted(AllowedKeys().runtime));
  EXPECT_EQ(SchemaKeys(step.at("properties").at("parties").at("items")),
            Sorted(AllowedKeys().party));
}

TEST(ParserTest, RuntimeResourcesAreReadInSlurmsUnitsAndBadOnesNamed) {
  ParseResult good = ParsePipelineText(
      "apiVersion: securemark/v1\nname: r\nsteps:\n"
      "  - id: a\n    uses: testing.work\n    runtime: {cpus: 2, memory: 4G, time: 30m}\n",
      "r.yaml");
  ASSERT_TRUE(good.diagnostics.empty()) << good.diagnostics.front().message;
  const RuntimeSpec& r = good.spec.steps.at(0).runtime;
  EXPECT_EQ(r.cpus, 2);
  EXPECT_EQ(r.memory_mb, 4096);
  EXPECT_EQ(r.time_s, 1800);

  ParseResult bad = ParsePipelineText(
      "apiVersion: securemark/v1\nname: r\nsteps:\n"
      "  - id: a\n    uses: testing.work\n    runtime: {cpus: 0, memory: 4GB, time: soon}\n",
      "r.yaml");
  ASSERT_EQ(bad.diagnostics.size(), 3u);
  EXPECT_NE(bad.diagnostics[0].message.find("runtime.cpus"), std::string::npos);
  EXPECT_NE(bad.diagnostics[1].message.find("runtime.memory"), std::string::npos);
  EXPECT_NE(bad.diagnostics[2].message.find("runtime.time"), std::string::npos);
  EXPECT_EQ(bad.diagnostics[1].at.line, 6);
}

}  // namespace
}  // namespace securemark::pipeline
