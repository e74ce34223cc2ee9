// Privacy evaluation end to end: data owners release their trained defenders (for this
// evaluation only), attacker.inversion trains inverters on their hidden states and is
// scored on images it never saw; report.privacy_table gathers the cells.
#include <gtest/gtest.h>

#include "run_fixture.h"

namespace securemark {
namespace {

const std::string kFmnist = "/usr/share/datasets/fashion-mnist/";

std::string Training(const std::string& id, const std::string& server_with,
                     const std::string& defenders, const std::string& limit = "2000") {
  return "  - id: " + id + R"(
    inputs: {test: test_set.dataset, owner/defenders: )" +
         defenders + R"(}
    parties:
      - name: server
        uses: server_trainer.split
        with: )" +
         server_with + R"(
      - name: owner
        uses: data_owner.node
        count: 2
        with: {images: )" +
         kFmnist + "train-images-idx3-ubyte.gz, labels: " + kFmnist +
         "train-labels-idx1-ubyte.gz, limit: " + limit + ", release_defender: true}\n";
}

class PrivacyEvalTest : public RunFixture {
 protected:
  json Artifact(const std::string& name) {
    auto s = Store();
    auto stmt = s->db().Prepare("SELECT id FROM artifacts WHERE name=? ORDER BY id DESC");
    stmt->Bind(1, name);
    if (!*stmt->Step()) return json();
    return json::parse(*s->ReadArtifact(stmt->Int(0)));
  }
  std::string Bytes(const std::string& name) {
    auto s = Store();
    auto stmt = s->db().Prepare("SELECT id FROM artifacts WHERE name=? ORDER BY id DESC");
    stmt->Bind(1, name);
    if (!*stmt->Step()) return "";
    return *s->ReadArtifact(stmt->Int(0));
  }
};

TEST_F(PrivacyEvalTest, InvertersLearnFromHiddenStatesAndEveryCellIsReported) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP();
  const std::string file =
      Write("privacy",
            std::string("steps:\n  - id: test_set\n    uses: dataset.idx\n    with: {split: test, "
                        "limit: 600}\n") +
                R"(  - id: no_defence
    uses: defender.none
  - id: mlp2
    uses: defender.mlp
    with: {variant: 2}
  - id: deconv1
    uses: defender.deconv
    with: {variant: 1, architecture: deepmarks_cnn, split_after: conv2}
)" + Training("train", "{epochs: 1, batch: 32}", "[no_defence.model, mlp2.model]") +
                Training("conv",
                         "{architecture: deepmarks_cnn, split_after: conv2, epochs: 1, batch: 32}",
                         "deconv1.model") +
                R"(  - id: open
    uses: attacker.inversion
    inputs: {model: train.model, data: test_set.dataset}
    with: {attack: 1, epochs: 8, patience: 2}
  - id: whitebox
    uses: attacker.inversion
    inputs: {model: train.model, data: test_set.dataset}
    with: {attack: 1, epochs: 8, patience: 2, refine_steps: 100, observations: 2}
  - id: defended
    uses: attacker.inversion
    inputs: {model: train.model, defenders: train.owner/defender, data: test_set.dataset}
    with: {attack: 1, epochs: 2}
  - id: conv_attack
    uses: attacker.inversion
    inputs: {model: conv.model, defenders: conv.owner/defender, data: test_set.dataset}
    with: {attack: 3, architecture: deepmarks_cnn, split_after: conv2, epochs: 2,
           patience: 1, max_defenders: 1}
  - id: table
    uses: report.privacy_table
    inputs: {trainings: [train.report, conv.report], attacks: [open.report, conv_attack.report]}
    with: {setups: [fc, conv]}
)");
  Run run = RunPipeline(file);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;

  // Without a defender an inverter learns the images: it beats guessing the mean image.
  json open = Artifact("open.report");
  EXPECT_LT(open["mse"].get<double>(), open["mean_image_mse"].get<double>()) << open.dump();
  // The reconstructions keep the class: the model labels them far above chance (0.1),
  // where the mean image would get one class right.
  EXPECT_GT(open["reprint_accuracy"].get<double>(), 0.3) << open.dump();
  EXPECT_EQ(open["test_images"], 120);
  EXPECT_EQ(open["hidden_shape"], json::array({900}));
  // The inverter trained until its validation SSIM stopped improving (or to the limit),
  // and the best epoch's inverter is the one scored.
  const json& training = open["defenders"][0]["training"];
  const json& curve = training["curve"];
  ASSERT_EQ(curve.size(), training["epochs"].get<size_t>()) << training.dump();
  ASSERT_GE(curve.size(), 1u);
  EXPECT_LE(curve.size(), 8u);
  double best = -2;
  int64_t best_epoch = 0;
  for (const json& point : curve) {
    if (point["validation_ssim"].get<double>() > best) {
      best = point["validation_ssim"].get<double>();
      best_epoch = point["epoch"].get<int64_t>();
    }
  }
  EXPECT_EQ(training["kept_epoch"], best_epoch) << training.dump();
  EXPECT_DOUBLE_EQ(training["kept_validation_ssim"].get<double>(), best);
  EXPECT_TRUE(curve.size() == 8u || static_cast<int64_t>(curve.size()) - best_epoch == 2)
      << training.dump();
  // Without a defender the head is close to invertible, and refining the learned
  // reconstructions through it (white-box, rMLE) recovers much more of each image.
  json whitebox = Artifact("whitebox.report");
  const json& learned = whitebox["defenders"][0]["learned_only"];
  ASSERT_TRUE(learned.is_object()) << whitebox.dump();
  EXPECT_GT(whitebox["ssim"].get<double>(), learned["ssim"].get<double>() + 0.05)
      << whitebox.dump();
  EXPECT_EQ(whitebox["observations"], 2);
  EXPECT_DOUBLE_EQ(whitebox["defended_accuracy"].get<double>(),
                   whitebox["clean_accuracy"].get<double>());
  // Each owner's released defender is attacked on its own.
  json defended = Artifact("defended.report");
  ASSERT_EQ(defended["defenders"].size(), 2u) << defended.dump();
  std::set<std::string> names;
  for (const json& d : defended["defenders"]) names.insert(d["defender"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"defender.none", "defender.mlp:2"}));
  // The conv split: [32, 12, 12] hidden states, a deconvolutional inverter.
  EXPECT_EQ(Artifact("conv_attack.report")["hidden_shape"], json::array({32, 12, 12}));
  // The grid is a PNG of two rows of ten 28x28 images.
  const std::string png = Bytes("open.grid");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<unsigned char>(png[at]) << 24) |
           (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  EXPECT_EQ(be32(16), 10u * 30 + 2);  // width
  EXPECT_EQ(be32(20), 2u * 28 + 6);   // height
  json table = Artifact("table.summary");
  ASSERT_EQ(table["rows"].size(), 2u);
  EXPECT_EQ(table["rows"][1]["setup"], "conv");

  // Bad requests fail their step with a reason and keep what is stored.
  const std::string bad = Write("bad", *ReadFile(file) + R"(  - id: wrong_cut
    uses: attacker.inversion
    inputs: {model: train.model, data: test_set.dataset}
    with: {split_after: fc5}
  - id: wrong_defender
    uses: attacker.inversion
    inputs: {model: train.model, defenders: conv.owner/defender, data: test_set.dataset}
)");
  Run again = RunPipeline(bad);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(again.states["open"], "CACHED");
  EXPECT_EQ(again.states["wrong_cut"], "FAILED");
  EXPECT_EQ(again.states["wrong_defender"], "FAILED");
  std::string reasons;
  for (const json& e : again.events) reasons += e.dump() + "\n";
  EXPECT_NE(reasons.find("cannot cut fc900 after 'fc5'"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("(defender.deconv:1) does not fit the hidden states [900]"),
            std::string::npos)
      << reasons;
}

// The claim of a defence, with its control beside it: under the same attack and training
// budget, the defended owners' best reconstruction is clearly worse than the undefended
// ones' (a defender that were the identity fails this), while their accuracy through
// the defender stays within a stated margin of the undefended accuracy (a defended
// training that collapsed fails that). Measured at this size: undefended SSIM about 0.55,
// defended (Defender1-4 with a noisy channel of 2) about 0.34, accuracy 0.78 and 0.75.
TEST_F(PrivacyEvalTest, ADefenderLowersTheBestAttackAtAStatedAccuracyCost) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP();
  constexpr double kSsimMargin = 0.1, kAccuracyMargin = 0.06;
  std::string steps =
      "steps:\n  - id: test_set\n    uses: dataset.idx\n    with: {split: test, limit: 2000}\n"
      "  - id: no_defence\n    uses: defender.none\n"
      "  - id: noisy\n    uses: defender.mlp\n    foreach: [1, 2, 3, 4]\n"
      "    with: {variant: \"${{ item }}\", noise: 2, seed: 7}\n" +
      Training("open", "{epochs: 2, batch: 32, seed: 1}", "no_defence.model", "6000") +
      Training("defended", "{epochs: 2, batch: 32, seed: 1}", "\"noisy[*].model\"", "6000");
  for (const char* setup : {"open", "defended"}) {
    steps += std::string("  - id: attack_") + setup +
             "\n    uses: attacker.inversion\n    inputs: {model: " + setup +
             ".model, defenders: " + setup +
             ".owner/defender, data: test_set.dataset}\n"
             "    with: {attack: 2, epochs: 15, patience: 3, max_defenders: 2}\n";
  }
  Run run = RunPipeline(Write("defence", steps));
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  const json open = Artifact("attack_open.report"), defended = Artifact("attack_defended.report");
  ASSERT_EQ(defended["defenders"].size(), 2u) << defended.dump();
  for (const json& d : defended["defenders"])
    EXPECT_NE(d["defender"].get<std::string>().find("noise=2"), std::string::npos) << d.dump();
  const double open_ssim = open["best_ssim"].get<double>();
  const double defended_ssim = defended["best_ssim"].get<double>();
  const double open_accuracy = open["defended_accuracy"].get<double>();
  const double defended_accuracy = defended["defended_accuracy"].get<double>();
  EXPECT_LT(defended_ssim, open_ssim - kSsimMargin)
      << "undefended " << open_ssim << ", defended " << defended_ssim;
  EXPECT_GT(defended_accuracy, open_accuracy - kAccuracyMargin)
      << "undefended " << open_accuracy << ", defended " << defended_accuracy;
  // The undefended model learned the task, so the comparison is between working models.
  EXPECT_GT(open_accuracy, 0.7) << open.dump();
}

}  // namespace
}  // namespace securemark
