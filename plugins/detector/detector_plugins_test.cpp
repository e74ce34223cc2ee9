// The cic, detector and evaluate plugins, loaded from build/plugins and run in-process:
// a codebook and a secret basis in, an averaged fingerprint through the basis, accusations out.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "codes/keys.h"
#include "exec/local_context.h"

namespace securemark {
namespace {

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
  static PluginCatalog* catalog_;
};
PluginCatalog* CodePluginsTest::catalog_ = nullptr;

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

TEST_F(CodePluginsTest, ImpossibleDesignsAndOversizedBasesAreRefused) {
  auto bad = RunNode(Plugin("cic.bibd"), {{"design", std::string("pg2")}, {"q", int64_t{6}}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("q must be a prime power"), std::string::npos);
  auto big = RunNode(Plugin("cic.bibd"), {{"design", std::string("ag3")}, {"q", int64_t{17}}}, {});
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("too long for a dense basis"), std::string::npos)
      << big.status();
}

TEST_F(CodePluginsTest, EvaluationReportsJsonAndCsv) {
  auto made = RunNode(Plugin("cic.tardos"),
                      {{"users", int64_t{50}}, {"colluders", int64_t{2}}, {"basis", false}}, {});
  ASSERT_TRUE(made.ok()) << made.status();
  InputValues in;
  in["codebook"].push_back({"Codebook", Output(*made, "codebook").bytes, false});
  auto r = RunNode(Plugin("evaluate.collusion"),
                   {{"k_values", std::vector<int64_t>{1, 2}},
                    {"trials", int64_t{100}},
                    {"detector", std::string("tardos")}},
                   std::move(in));
  ASSERT_TRUE(r.ok()) << r.status();
  auto report = nlohmann::json::parse(Output(*r, "report").bytes);
  ASSERT_EQ(report["rows"].size(), 2u);
  EXPECT_EQ(report["rows"][1]["k"], 2);
  EXPECT_EQ(report["rows"][0]["false_alarm"]["count"], 0);
  std::string csv = Output(*r, "table").bytes;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
}

}  // namespace
}  // namespace securemark
