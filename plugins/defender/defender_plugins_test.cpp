// The defender plugins make untrained defenders for a cut: the shape comes from the cut
// (or is given), the defender keeps it, and it carries the name owners report.
#include <gtest/gtest.h>
#include <torch/script.h>

#include "exec/local_context.h"
#include "models/model_file.h"
#include "models/model_zoo.h"

namespace securemark {
namespace {

class DefenderPluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static StatusOr<torch::jit::Module> Make(const std::string& plugin, ParamMap params) {
    SM_ASSIGN_OR_RETURN(const LoadedPlugin* p, catalog_->Find(plugin));
    SM_ASSIGN_OR_RETURN(std::vector<OutputValue> out, RunNode(*p, params, {}));
    const OutputValue* model = FindOutput(out, "model");
    if (model == nullptr) return InternalError(plugin + " made no model");
    return models::LoadModel(model->value.bytes);
  }
  static std::vector<int64_t> OutputShape(torch::jit::Module& m, std::vector<int64_t> shape) {
    torch::NoGradGuard no_grad;
    return m.forward({torch::randn(shape)}).toTensor().sizes().vec();
  }
  static inline PluginCatalog* catalog_ = nullptr;
};

TEST_F(DefenderPluginsTest, MlpDefendersFitTheDefaultCutAndCarryTheirName) {
  for (int64_t variant = 1; variant <= 4; ++variant) {
    auto m = Make("defender.mlp", {{"variant", variant}});
    ASSERT_TRUE(m.ok()) << m.status();
    // fc900 cut after fc2: 900 features.
    EXPECT_EQ(OutputShape(*m, {3, 900}), (std::vector<int64_t>{3, 900})) << variant;
    EXPECT_EQ(m->attr("securemark_defender").toStringRef(),
              "defender.mlp:" + std::to_string(variant));
    EXPECT_GT(m->parameters().size(), 0u);
  }
}

// `noise` survives saving and loading: the stored defender draws fresh noise, says its
// level, and its name tells it from the deterministic one in reports.
TEST_F(DefenderPluginsTest, ANoisyChannelIsPartOfTheStoredDefender) {
  auto m = Make("defender.mlp", {{"variant", int64_t{2}}, {"noise", 1.5}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->attr("securemark_defender").toStringRef(), "defender.mlp:2 noise=1.5");
  EXPECT_DOUBLE_EQ(m->attr("securemark_noise").toDouble(), 1.5);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({4, 900}) * 30;
  const torch::Tensor a = m->forward({x}).toTensor(), b = m->forward({x}).toTensor();
  EXPECT_FALSE(torch::allclose(a, b));
  EXPECT_NEAR((a - b).std().item<double>(), 1.5 * std::sqrt(2.0), 0.1);
  auto refused = Make("defender.mlp", {{"variant", int64_t{2}}, {"noise", -1.0}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("noise"), std::string::npos) << refused.status();
}

TEST_F(DefenderPluginsTest, TheNoneDefenderIsTheIdentityWithoutParameters) {
  auto m = Make("defender.none", {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->parameters().size(), 0u);
  const torch::Tensor x = torch::randn({4, 900});
  EXPECT_TRUE(torch::equal(m->forward({x}).toTensor(), x));
  EXPECT_EQ(m->attr("securemark_defender").toStringRef(), "defender.none");
}

TEST_F(DefenderPluginsTest, ConvCutsTakeDeconvDefendersOfTheirShape) {
  const ParamMap cut = {{"architecture", std::string("deepmarks_cnn")},
                        {"split_after", std::string("conv2")}};
  for (int64_t variant : {1, 2, 4}) {
    ParamMap params = cut;
    params["variant"] = variant;
    auto m = Make("defender.deconv", params);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(OutputShape(*m, {2, 32, 12, 12}), (std::vector<int64_t>{2, 32, 12, 12}));
  }
  // An MLP cannot defend [C, H, W] hidden states.
  auto mlp = Make("defender.mlp", cut);
  ASSERT_FALSE(mlp.ok());
  EXPECT_NE(mlp.status().message().find("works on flat hidden states [features], got [32, 12, 12]"),
            std::string::npos)
      << mlp.status();
  // An explicit shape wins over the cut.
  auto given = Make("defender.mlp", {{"shape", std::vector<int64_t>{64}}});
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(OutputShape(*given, {5, 64}), (std::vector<int64_t>{5, 64}));
  // A cut the model does not have is refused, naming it.
  auto wrong = Make("defender.mlp", {{"split_after", std::string("fc9")}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("fc9"), std::string::npos) << wrong.status();
}

}  // namespace
}  // namespace securemark
