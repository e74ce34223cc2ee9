// The attacker plugins and evaluate.robustness describe the same attacks: every attack
// parameter an attacker plugin takes, robustness takes under the same name with the same
// type, default, range and choices (they share attacks/attack_params.h; this fails if
// either side declares its own again). And a plugin per library, named by its file.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "loader/plugin_catalog.h"

namespace securemark {
namespace {

class AttackerPluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static const Contract& ContractOf(const std::string& name) {
    StatusOr<const LoadedPlugin*> p = catalog_->Find(name);
    EXPECT_TRUE(p.ok()) << p.status();
    return (*p)->contract();
  }
  static PluginCatalog* catalog_;
};
PluginCatalog* AttackerPluginsTest::catalog_ = nullptr;

TEST_F(AttackerPluginsTest, RobustnessTakesEveryAttackParameterAsTheAttackersDo) {
  const Contract& robustness = ContractOf("evaluate.robustness");
  // Parameters of one model's attack that robustness sets per trial instead.
  const std::set<std::string> per_trial = {"seed", "rate", "alpha", "layer"};
  int compared = 0;
  for (const char* attacker : {"attacker.finetune", "attacker.prune", "attacker.reparam"}) {
    for (const ParamSpec& p : ContractOf(attacker).params()) {
      if (per_trial.count(p.name)) continue;
      const ParamSpec* r = robustness.FindParam(p.name);
      ASSERT_NE(r, nullptr) << "evaluate.robustness lacks " << attacker << "'s '" << p.name << "'";
      EXPECT_EQ(r->type, p.type) << p.name;
      EXPECT_EQ(r->doc, p.doc) << p.name;
      EXPECT_EQ(r->default_value, p.default_value) << p.name;
      EXPECT_EQ(r->range.has_value(), p.range.has_value()) << p.name;
      if (r->range && p.range) {
        EXPECT_EQ(r->range->min, p.range->min) << p.name;
        EXPECT_EQ(r->range->max, p.range->max) << p.name;
      }
      EXPECT_EQ(r->choices, p.choices) << p.name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 12);  // fine-tuning x2, pruning scope, re-parameterisation, threads
}

TEST_F(AttackerPluginsTest, EachPluginLivesInALibraryNamedAfterIt) {
  for (const char* name :
       {"collude", "inversion", "reparam", "weight_shift", "finetune", "prune"}) {
    const std::string library =
        std::string(SECUREMARK_BUILD_DIR) + "/plugins/attacker_" + name + ".so";
    ASSERT_TRUE(std::filesystem::exists(library)) << library;
    StatusOr<const LoadedPlugin*> p = catalog_->Find(std::string("attacker.") + name);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(std::filesystem::path((*p)->library()).filename().string(),
              std::string("attacker_") + name + ".so");
  }
}

}  // namespace
}  // namespace securemark
