// calibration.null_models: calibrated detection gives p-values and dismisses noise.
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "codes/keys.h"
#include "plugin_testing/code_fixture.h"

namespace securemark::code_testing {
namespace {

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
}  // namespace securemark::code_testing
