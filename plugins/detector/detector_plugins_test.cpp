// The detector plugins: a codebook and a secret basis in, an averaged fingerprint through
// the basis, accusations out; a wrong-sized extraction is a clear error.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "codes/keys.h"
#include "plugin_testing/code_fixture.h"

namespace securemark::code_testing {
namespace {

TEST_F(CodePluginsTest, CodebookBasisAndDetectorsTraceAnAveragedFingerprint) {
  auto made =
      RunNode(Plugin("cic.bibd"),
              {{"design", std::string("ag2")}, {"q", int64_t{7}}, {"seed", int64_t{3}}}, {});
  ASSERT_TRUE(made.ok()) << made.status();
  EncodedValue codebook_bytes = Output(*made, "codebook");
  EncodedValue basis_bytes = Output(*made, "basis");
  EXPECT_TRUE(basis_bytes.secret);
  auto summary = nlohmann::json::parse(Output(*made, "summary").bytes);
  EXPECT_EQ(summary["users"], 56);
  EXPECT_EQ(summary["verified"], true);

  codes::Codebook codebook = *codes::Codebook::Decode(codebook_bytes.bytes);
  TensorMap basis_map = *TensorMap::Decode(basis_bytes.bytes);
  Eigen::MatrixXd u = *codes::MatrixFromTensor(**basis_map.Get("basis"));
  // Three customers average their fingerprints; the result is rescaled by 0.02.
  Eigen::VectorXd f =
      0.02 *
      (codes::FingerprintVector(codebook, u, 4) + codes::FingerprintVector(codebook, u, 20) +
       codes::FingerprintVector(codebook, u, 51)) /
      3;
  TensorMap extracted;
  extracted.Put("fingerprint", codes::ToTensor(f));
  for (const char* detector :
       {"detector.hard_threshold", "detector.sequential", "detector.adaptive_sorting"}) {
    InputValues in;
    in["codebook"].push_back({"Codebook", codebook_bytes.bytes, false});
    in["basis"].push_back({"Tensors", basis_bytes.bytes, true});
    in["extracted"].push_back({"Tensors", extracted.Encode(), false});
    auto accused = RunNode(Plugin(detector), {}, std::move(in));
    ASSERT_TRUE(accused.ok()) << detector << ": " << accused.status();
    auto j = nlohmann::json::parse(Output(*accused, "accusation").bytes);
    std::vector<int64_t> users;
    for (const auto& a : j["accused"]) users.push_back(a["user"]);
    EXPECT_EQ(users, (std::vector<int64_t>{4, 20, 51})) << detector;
  }
}

TEST_F(CodePluginsTest, AWrongSizedExtractionIsAClearError) {
  auto made =
      RunNode(Plugin("cic.bibd"), {{"design", std::string("singer")}, {"q", int64_t{3}}}, {});
  ASSERT_TRUE(made.ok());
  TensorMap extracted;
  extracted.Put("fingerprint", codes::ToTensor(Eigen::VectorXd::Ones(20)));
  InputValues in;
  in["codebook"].push_back({"Codebook", Output(*made, "codebook").bytes, false});
  in["basis"].push_back({"Tensors", Output(*made, "basis").bytes, true});
  in["extracted"].push_back({"Tensors", extracted.Encode(), false});
  auto r = RunNode(Plugin("detector.hard_threshold"), {}, std::move(in));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the extracted fingerprint has 20 entries"),
            std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace securemark::code_testing
