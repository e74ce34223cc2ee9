// The report plugins put reports side by side: every row is kept with its setup, the CSV
// matches the JSON, and an input of the wrong kind is refused by position.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/image_folder.h"
#include "exec/local_context.h"

namespace securemark {
namespace {

using nlohmann::json;

class ReportPluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static StatusOr<std::vector<OutputValue>> Run(const std::string& plugin, ParamMap params,
                                                InputValues inputs) {
    SM_ASSIGN_OR_RETURN(const LoadedPlugin* p, catalog_->Find(plugin));
    return RunNode(*p, params, std::move(inputs));
  }
  static void Add(InputValues& in, const std::string& port, const json& value) {
    in[port].push_back({"Json", value.dump(), false});
  }
  static json Attack(int attack, double ssim) {
    return {{"attack", attack},
            {"mse", 0.05},
            {"ssim", ssim},
            {"perceptual", 0.2},
            {"reprint_accuracy", 0.5}};
  }
  static inline PluginCatalog* catalog_ = nullptr;
};

TEST_F(ReportPluginsTest, PrivacyTableKeepsEachSetupsAccuracyBesideItsAttacks) {
  InputValues in;
  Add(in, "trainings", {{"test_accuracy", 0.91}});
  Add(in, "trainings", {{"test_accuracy", 0.88}});
  for (double ssim : {0.7, 0.6}) Add(in, "attacks", Attack(ssim > 0.65 ? 1 : 2, ssim));
  for (double ssim : {0.3, 0.2}) Add(in, "attacks", Attack(ssim > 0.25 ? 1 : 2, ssim));
  auto out = Run("report.privacy_table",
                 {{"setups", std::vector<std::string>{"no defender", "multiple defenders"}}}, in);
  ASSERT_TRUE(out.ok()) << out.status();
  const json rows = json::parse(FindOutput(*out, "summary")->value.bytes)["rows"];
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1]["setup"], "no defender");
  EXPECT_EQ(rows[1]["attack"], 2);
  EXPECT_DOUBLE_EQ(rows[1]["test_accuracy"].get<double>(), 0.91);
  EXPECT_EQ(rows[2]["setup"], "multiple defenders");
  EXPECT_DOUBLE_EQ(rows[2]["ssim"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(rows[3]["test_accuracy"].get<double>(), 0.88);
  const std::string csv = FindOutput(*out, "table")->value.bytes;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_NE(
      csv.find("\"multiple defenders\",0.88,0.88,Attack2,0.05,0.2,0.2,0.2,0.5,accuracy lost\n"),
      std::string::npos)
      << csv;
}

// A defended setup's privacy counts only at the accuracy it keeps: accuracy is taken from
// the attacker's defended_accuracy (the model with the owner's defender in its path), the
// best SSIM is the highest any attack reached on any defender, and a setup that lost more
// accuracy than the margin is "accuracy lost" however low its SSIM.
TEST_F(ReportPluginsTest, PrivacyTableGivesEachSetupAVerdictAgainstItsBaseline) {
  auto attack = [](int n, double ssim, double best, double accuracy) {
    json r = Attack(n, ssim);
    r["best_ssim"] = best;
    r["defended_accuracy"] = accuracy;
    return r;
  };
  InputValues in;
  for (double a : {0.90, 0.90, 0.90, 0.80, 0.85, 0.85})
    Add(in, "trainings", {{"test_accuracy", a}});
  // none, a noisy defence that keeps accuracy, one that destroys it, one that changes
  // nothing; then a conv baseline and its defence that keeps accuracy and SSIM.
  Add(in, "attacks", attack(1, 0.6, 0.6, 0.90));
  Add(in, "attacks", attack(2, 0.7, 0.7, 0.90));
  Add(in, "attacks", attack(1, 0.2, 0.3, 0.89));
  Add(in, "attacks", attack(2, 0.2, 0.45, 0.885));  // 1.5 pt below its baseline
  Add(in, "attacks", attack(1, 0.1, 0.1, 0.30));
  Add(in, "attacks", attack(2, 0.1, 0.1, 0.30));
  Add(in, "attacks", attack(1, 0.7, 0.75, 0.90));
  Add(in, "attacks", attack(2, 0.7, 0.7, 0.90));
  Add(in, "attacks", attack(1, 0.5, 0.5, 0.85));
  Add(in, "attacks", attack(2, 0.5, 0.5, 0.85));
  Add(in, "attacks", attack(1, 0.3, 0.3, 0.84));
  Add(in, "attacks", attack(2, 0.2, 0.25, 0.84));
  const std::vector<std::string> setups = {"none",    "noisy", "collapsed",
                                           "useless", "conv",  "conv defended"};
  auto out = Run("report.privacy_table",
                 {{"setups", setups},
                  {"baselines", std::vector<std::string>{"", "none", "none", "none", "", "conv"}},
                  {"max_accuracy_drop", 0.025}},
                 in);
  ASSERT_TRUE(out.ok()) << out.status();
  const json verdicts = json::parse(FindOutput(*out, "summary")->value.bytes)["setups"];
  ASSERT_EQ(verdicts.size(), 6u);
  const std::vector<std::string> expected = {"baseline",      "protects", "accuracy lost",
                                             "no protection", "baseline", "protects"};
  for (size_t s = 0; s < 6; ++s) EXPECT_EQ(verdicts[s]["verdict"], expected[s]) << setups[s];
  EXPECT_DOUBLE_EQ(verdicts[1]["best_ssim"].get<double>(), 0.45);
  EXPECT_EQ(verdicts[1]["best_attack"], "Attack2");
  EXPECT_NEAR(verdicts[1]["accuracy_drop"].get<double>(), 0.0125, 1e-12);
  EXPECT_DOUBLE_EQ(verdicts[2]["model_accuracy"].get<double>(), 0.9);
  EXPECT_NEAR(verdicts[5]["ssim_reduction"].get<double>(), 0.2, 1e-12);
  const std::string svg = FindOutput(*out, "curve")->value.bytes;
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  size_t points = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1))
    ++points;
  EXPECT_EQ(points, 6u);
  EXPECT_NE(svg.find("fill=\"white\"/>\n<text x=\""), std::string::npos)
      << "the collapsed setup is drawn hollow";

  auto wrong = Run("report.privacy_table",
                   {{"setups", setups},
                    {"baselines", std::vector<std::string>{"", "none", "none", "none", "", "cnn"}}},
                   in);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("'baselines[5]': 'cnn' is not one of the setups"),
            std::string::npos)
      << wrong.status();
}

// With the attacks' grids, the table stacks the originals over each setup's best
// reconstructions: one row of originals, then one row per setup, from the grid of the
// attack that reached that setup's best SSIM.
TEST_F(ReportPluginsTest, PrivacyTableStacksEachSetupsBestReconstructions) {
  auto grid = [](char top, char bottom) {  // 2 images of 4x4 in an attacker's layout
    const int64_t h = 4, gap = 2, width = 2 * (4 + gap) + gap, height = 2 * h + 3 * gap;
    data::Image image{height, width, 1, std::string(height * width, '\xff')};
    for (int64_t row = 0; row < height; ++row)
      for (int64_t col = gap; col < width; ++col)
        if (row >= gap && row < gap + h)
          image.pixels[row * width + col] = top;
        else if (row >= 2 * gap + h && row < 2 * gap + 2 * h)
          image.pixels[row * width + col] = bottom;
    return std::string(*data::EncodePng(image));
  };
  InputValues in;
  Add(in, "trainings", {{"test_accuracy", 0.9}});
  Add(in, "trainings", {{"test_accuracy", 0.9}});
  for (double ssim : {0.5, 0.8, 0.3, 0.2}) Add(in, "attacks", Attack(1, ssim));
  for (char bottom : {'\x10', '\x20', '\x30', '\x40'})
    in["grids"].push_back({"Blob", grid('\x05', bottom), false});
  auto out = Run("report.privacy_table", {{"setups", std::vector<std::string>{"a", "b"}}}, in);
  ASSERT_TRUE(out.ok()) << out.status();
  const OutputValue* png = FindOutput(*out, "reconstructions");
  ASSERT_NE(png, nullptr);
  auto image = data::DecodePngBytes("reconstructions", png->value.bytes, 1);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->height, 3 * 7);  // originals and two setups, each half a grid
  auto pixel = [&](int64_t row) { return image->pixels[row * image->width + 3]; };
  EXPECT_EQ(pixel(3), '\x05');       // the originals
  EXPECT_EQ(pixel(7 + 2), '\x20');   // setup a: its second attack was best
  EXPECT_EQ(pixel(14 + 2), '\x30');  // setup b: its first
  in["grids"].pop_back();
  auto short_of_one =
      Run("report.privacy_table", {{"setups", std::vector<std::string>{"a", "b"}}}, in);
  ASSERT_FALSE(short_of_one.ok());
  EXPECT_NE(short_of_one.status().message().find("'grids' has 3 grids"), std::string::npos)
      << short_of_one.status();
}

TEST_F(ReportPluginsTest, PrivacyTableRefusesInputsOfTheWrongKindByPosition) {
  const ParamMap two = {{"setups", std::vector<std::string>{"a", "b"}}};
  InputValues uneven;
  Add(uneven, "trainings", {{"test_accuracy", 0.9}});
  Add(uneven, "attacks", Attack(1, 0.5));
  auto counts = Run("report.privacy_table", two, uneven);
  ASSERT_FALSE(counts.ok());
  EXPECT_NE(counts.status().message().find("2 setups need as many 'trainings' (got 1)"),
            std::string::npos)
      << counts.status();

  InputValues bad_attack;
  Add(bad_attack, "trainings", {{"test_accuracy", 0.9}});
  Add(bad_attack, "trainings", {{"test_accuracy", 0.8}});
  Add(bad_attack, "attacks", Attack(1, 0.5));
  Add(bad_attack, "attacks", {{"attack", 1}, {"mse", 0.1}});
  auto attack = Run("report.privacy_table", two, bad_attack);
  ASSERT_FALSE(attack.ok());
  EXPECT_NE(attack.status().message().find(
                "input 'attacks[1]' is not an attacker.inversion report (no 'ssim')"),
            std::string::npos)
      << attack.status();

  InputValues bad_training;
  Add(bad_training, "trainings", {{"test_accuracy", "high"}});
  Add(bad_training, "attacks", Attack(1, 0.5));
  auto training =
      Run("report.privacy_table", {{"setups", std::vector<std::string>{"a"}}}, bad_training);
  ASSERT_FALSE(training.ok());
  EXPECT_EQ(training.status().code(), StatusCode::kInvalidArgument) << training.status();
  EXPECT_NE(training.status().message().find("input 'trainings[0]'"), std::string::npos)
      << training.status();
}

TEST_F(ReportPluginsTest, CollusionTableLabelsEachReportsRows) {
  auto report = [](const std::string& label, double detection) {
    const json rate = {{"value", detection}, {"high", 0.1}, {"count", 0}};
    return json{{"label", label},
                {"users", 100},
                {"length", 31},
                {"detector", "hard_threshold"},
                {"rows", json::array({{{"k", 2},
                                       {"trials", 50},
                                       {"detection", rate},
                                       {"false_alarm", rate},
                                       {"exact", rate}}})}};
  };
  InputValues in;
  Add(in, "reports", report("bibd", 0.98));
  Add(in, "reports", report("random", 0.12));
  auto out = Run("report.collusion_table", {}, in);
  ASSERT_TRUE(out.ok()) << out.status();
  const json rows = json::parse(FindOutput(*out, "summary")->value.bytes)["rows"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["label"], "random");
  EXPECT_DOUBLE_EQ(rows[1]["detection"].get<double>(), 0.12);
  InputValues wrong;
  Add(wrong, "reports", {{"accused", json::array()}});
  auto refused = Run("report.collusion_table", {}, wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("not a collusion report"), std::string::npos);
}

}  // namespace
}  // namespace securemark
