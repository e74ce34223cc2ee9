// The cic, detector and evaluate plugins, loaded from build/plugins and run in-process:
// a codebook and a secret basis in, an averaged fingerprint through the basis, accusations out.
#include <random>

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

// Null models are coalitions of k-1 customers; a calibrated detector accuses real
// colluders with tiny p-values and dismisses what noise alone produces.
TEST_F(CodePluginsTest, CalibratedDetectionGivesPValuesAndDismissesNoise) {
  auto made =
      RunNode(Plugin("cic.bibd"),
              {{"design", std::string("singer")}, {"q", int64_t{5}}, {"seed", int64_t{4}}}, {});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string codebook_bytes = Output(*made, "codebook").bytes;
  const std::string basis_bytes = Output(*made, "basis").bytes;
  codes::Codebook codebook = *codes::Codebook::Decode(codebook_bytes);
  Eigen::MatrixXd u = *codes::MatrixFromTensor(**TensorMap::Decode(basis_bytes)->Get("basis"));
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.03);
  auto extraction = [&](const std::vector<int64_t>& coalition) {
    Eigen::VectorXd f = Eigen::VectorXd::Zero(u.rows());
    for (int64_t m : coalition) f += codes::FingerprintVector(codebook, u, m) / coalition.size();
    for (int64_t i = 0; i < f.size(); ++i) f[i] = 0.3 * f[i] + noise(rng);
    TensorMap t;
    t.Put("fingerprint", codes::ToTensor(f));
    return t.Encode();
  };
  InputValues nulls;
  nulls["codebook"].push_back({"Codebook", codebook_bytes, false});
  nulls["basis"].push_back({"Tensors", basis_bytes, true});
  for (int m = 0; m < 60; ++m) {
    std::vector<int64_t> coalition;
    for (int64_t i = 0; i < 5; ++i) coalition.push_back((m * 5 + i) % 31);
    nulls["extracted"].push_back({"Tensors", extraction(coalition), false});
    nulls["coalitions"].push_back({"Json", nlohmann::json({{"members", coalition}}).dump(), false});
  }
  auto calibrated =
      RunNode(Plugin("calibration.null_models"), {{"false_accusation", 0.01}}, InputValues(nulls));
  ASSERT_TRUE(calibrated.ok()) << calibrated.status();
  const std::string calibration = Output(*calibrated, "calibration").bytes;
  auto c = nlohmann::json::parse(calibration);
  EXPECT_EQ(c["null_models"], 60);
  EXPECT_EQ(c["null_scores"].size(), 60u * 26);

  auto detect = [&](const std::string& extracted, const std::string& calibration_bytes) {
    InputValues in;
    in["codebook"].push_back({"Codebook", codebook_bytes, false});
    in["basis"].push_back({"Tensors", basis_bytes, true});
    in["extracted"].push_back({"Tensors", extracted, false});
    in["calibration"].push_back({"Json", calibration_bytes, false});
    return RunNode(Plugin("detector.hard_threshold"), {}, std::move(in));
  };
  auto accused = detect(extraction({3, 7, 12}), calibration);
  ASSERT_TRUE(accused.ok()) << accused.status();
  auto j = nlohmann::json::parse(Output(*accused, "accusation").bytes);
  std::vector<int64_t> users;
  for (const auto& a : j["accused"]) {
    users.push_back(a["user"]);
    EXPECT_LT(a["p_value"].get<double>(), 0.01 / 31);
    EXPECT_GT(a["evidence"].get<double>(), c["null_max"].get<double>());
  }
  EXPECT_EQ(users, (std::vector<int64_t>{3, 7, 12}));

  // A model without any fingerprint: whatever the bare detector names is dismissed.
  TensorMap pure_noise;
  Eigen::VectorXd f(u.rows());
  for (int64_t i = 0; i < f.size(); ++i) f[i] = noise(rng);
  pure_noise.Put("fingerprint", codes::ToTensor(f));
  auto none = detect(pure_noise.Encode(), calibration);
  ASSERT_TRUE(none.ok()) << none.status();
  auto noise_json = nlohmann::json::parse(Output(*none, "accusation").bytes);
  EXPECT_TRUE(noise_json["accused"].empty());
  EXPECT_FALSE(noise_json["dismissed"].empty());  // the bare detector named some

  // Bad inputs: a calibration for another codebook, a miscounted contributor list.
  nlohmann::json other = c;
  other["codebook"] = "something else";
  auto wrong = detect(extraction({1}), other.dump());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("was made for codebook"), std::string::npos)
      << wrong.status();
  nlohmann::json old_statistic = c;
  old_statistic["statistic"] = "block margin over noise";  // what calibrations held before
  auto stale = detect(extraction({1}), old_statistic.dump());
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("re-run calibration.null_models"), std::string::npos)
      << stale.status();
  InputValues miscounted = nulls;
  miscounted.erase("coalitions");
  auto refused = RunNode(Plugin("calibration.null_models"),
                         {{"contributors", std::vector<int64_t>{1, 2}}}, std::move(miscounted));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("has 2 entries for 60 null models"), std::string::npos)
      << refused.status();
}

}  // namespace
}  // namespace securemark
