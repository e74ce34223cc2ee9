// Inputs the fuzzers found crashes with (fuzz/regressions/), each now refused cleanly.
#include <gtest/gtest.h>

#include "data/idx_reader.h"
#include "fuzz_input.h"
#include "loader/plugin_catalog.h"
#include "models/state_dict_reader.h"
#include "pipeline/compiler.h"
#include "pipeline/parser.h"
#include "securemark/files.h"
#include "transport/messages.h"

namespace securemark {
namespace {

std::string Regression(const std::string& name) {
  auto bytes = ReadFile(std::string(SECUREMARK_SOURCE_DIR) + "/fuzz/regressions/" + name);
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? *bytes : "";
}

// A foreach item holding bytes that are not UTF-8 made the compiler throw while naming the
// instance. Such a file is now refused at the first bad byte.
TEST(FuzzRegressionTest, APipelineThatIsNotUtf8IsADiagnostic) {
  pipeline::ParseResult parsed =
      pipeline::ParsePipelineText(Regression("pipeline-invalid-utf8-item.yaml"), "fuzz.yaml");
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_NE(parsed.diagnostics[0].message.find("not valid UTF-8"), std::string::npos);
  EXPECT_GT(parsed.diagnostics[0].at.line, 1);
  // Valid multi-byte text is still accepted.
  pipeline::ParseResult ok = pipeline::ParsePipelineText(
      "apiVersion: securemark/v1\nname: \"données-日本\"\nsteps: []\n", "ok.yaml");
  for (const auto& d : ok.diagnostics)
    EXPECT_EQ(d.message.find("UTF-8"), std::string::npos) << d.ToString();
}

// A party announcement whose "curve" was a string threw out of the decoder. The decoder
// now refuses the message itself (an ANNOUNCE names its task), and the party reader
// still refuses the mistyped field on its own.
TEST(FuzzRegressionTest, APartyWithMistypedFieldsIsAnError) {
  const std::string input = Regression("message-curve-not-boolean");
  const std::vector<std::string> frames = fuzz::SplitFrames(input);
  auto message = transport::DecodeMessage(frames);
  ASSERT_FALSE(message.ok());
  EXPECT_NE(message.status().message().find("ANNOUNCE lacks field 'task'"), std::string::npos)
      << message.status();
  ASSERT_GE(frames.size(), 2u);
  auto party = transport::PartyFromJson(nlohmann::json::parse(frames[1], nullptr, false));
  ASSERT_FALSE(party.ok());
  EXPECT_NE(party.status().message().find("'curve'"), std::string::npos) << party.status();
}

// An IDX header whose dimensions multiply past 2^64 passed the size check by wrapping
// around, then overflowed building the tensor.
TEST(FuzzRegressionTest, AnIdxHeaderWhoseShapeOverflowsIsTruncatedData) {
  auto tensor = data::ParseIdx(Regression("idx-shape-overflow"), "forged.idx", 0);
  ASSERT_FALSE(tensor.ok());
  EXPECT_NE(tensor.status().message().find("forged.idx"), std::string::npos) << tensor.status();
}

// A 51-byte "zip" whose end record points to a zip64 record: the bounds check on that
// record underflowed for files shorter than 56 bytes, and the read ran past the end.
TEST(FuzzRegressionTest, AZip64RecordInATinyFileIsRefused) {
  auto dict = models::ReadStateDict(Regression("checkpoint-short-zip64-record"), {});
  ASSERT_FALSE(dict.ok());
  EXPECT_NE(dict.status().message().find("zip64"), std::string::npos) << dict.status();
}

}  // namespace
}  // namespace securemark
