#include <gtest/gtest.h>

#include "metrics/image_metrics.h"
#include "models/model_zoo.h"
#include "split/privacy_nets.h"
#include "split/protocol.h"
#include "split/split_config.h"
#include "split/split_model.h"
#include "split/tensor_frames.h"
#include "split/white_box.h"

namespace securemark::split {
namespace {

SplitModel Fc900(const std::string& after = "fc2") {
  auto module = models::BuildModel("fc900", 1, 28, 28, 10, 3);
  EXPECT_TRUE(module.ok());
  EXPECT_TRUE(models::SetInputNormalization(*module, {0.3}, {0.4}).ok());
  auto m = SplitModel::Make(std::move(*module), "fc900", after);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(*m);
}

TEST(SplitModelTest, TailOfHeadIsTheWholeModel) {
  for (const std::string after : {"fc1", "fc2", "fc4"}) {
    SplitModel m = Fc900(after);
    torch::manual_seed(0);
    const torch::Tensor x = torch::rand({5, 1, 28, 28});
    const torch::Tensor whole = m.module().forward({x}).toTensor();
    EXPECT_TRUE(torch::allclose(m.Tail(m.Head(x)), whole, 1e-5, 1e-5)) << after;
    EXPECT_EQ(m.Head(x).size(1), 900);
  }
  SplitModel m = Fc900("fc2");
  EXPECT_EQ(m.head_names(),
            (std::vector<std::string>{"fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"}));
  EXPECT_EQ(m.tail_names().size(), 6u);
}

TEST(SplitModelTest, ConvolutionalCutsGiveImageLikeHiddenStates) {
  auto module = models::BuildModel("deepmarks_cnn", 1, 28, 28, 10, 3);
  ASSERT_TRUE(module.ok());
  ASSERT_TRUE(models::SetInputNormalization(*module, {0.3}, {0.4}).ok());
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({3, 1, 28, 28});
  const torch::Tensor whole = module->forward({x}).toTensor();
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cuts = {
      {"conv1", {32, 26, 26}}, {"conv2", {32, 12, 12}}, {"conv4", {64, 8, 8}}, {"fc1", {512}}};
  for (const auto& [after, shape] : cuts) {
    auto m = SplitModel::Make(module->clone(), "deepmarks_cnn", after, {1, 28, 28});
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(m->hidden_shape(), shape) << after;
    EXPECT_TRUE(torch::allclose(m->Tail(m->Head(x)), whole, 1e-5, 1e-5)) << after;
  }
}

TEST(PrivacyNetsTest, DeconvDefendersAndInvertersFitConvolutionalHiddenStates) {
  const torch::Tensor h = torch::relu(torch::randn({2, 32, 12, 12}));
  for (int v = 1; v <= kDefenderVariants; ++v) {
    auto d = MakeDeconvDefender({32, 12, 12}, v, 0);
    ASSERT_TRUE(d.ok()) << d.status().message();
    const torch::Tensor out = d->forward({h}).toTensor();
    EXPECT_EQ(out.sizes(), h.sizes()) << v;
    // Near the identity at first (except the bottleneck): training starts from the signal.
    if (v < 4) {
      EXPECT_LT((out - h).abs().mean().item<double>(), 0.5 * h.mean().item<double>());
    }
  }
  EXPECT_FALSE(MakeDeconvDefender({900}, 1, 0).ok());
  for (int v = 1; v <= kAttackVariants; ++v) {
    auto inv = MakeInverter(v, {32, 12, 12}, 1, 28, 28);
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ((*inv)->forward(h).sizes(), (std::vector<int64_t>{2, 1, 28, 28})) << v;
  }
}

TEST(SplitModelTest, BadCutsAndHeadsAreRefused) {
  auto module = models::BuildModel("fc900", 1, 28, 28, 10, 3);
  auto last = SplitModel::Make(*module, "fc900", "fc5");
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.status().message().find("choose one of fc1, fc2, fc3, fc4"), std::string::npos);
  // An fc900 is not a deepmarks_cnn; conv cuts need the input shape.
  EXPECT_FALSE(SplitModel::Make(*module, "deepmarks_cnn", "conv2", {1, 28, 28}).ok());
  auto cnn = models::BuildModel("deepmarks_cnn", 1, 28, 28, 10, 3);
  EXPECT_FALSE(SplitModel::Make(*cnn, "deepmarks_cnn", "conv2").ok());
  EXPECT_FALSE(SplitModel::Make(*cnn, "lfw_conv", "conv2", {1, 28, 28}).ok());
  SplitModel m = Fc900();
  std::vector<torch::Tensor> head = m.HeadParameters();
  head[2] = torch::zeros({3, 3});
  Status s = m.SetHead(head);
  EXPECT_NE(s.message().find("fc2_weight has shape [3, 3], expected [900, 900]"), std::string::npos)
      << s.message();
}

TEST(TensorFramesTest, RoundTripAndEveryMalformationNamed) {
  Message m{"ACT", {{"round", 1}}, {}};
  AddTensor(m, "hidden", torch::arange(6, torch::kFloat).reshape({2, 3}));
  AddTensor(m, "labels", torch::tensor({4, 7}, torch::kLong));
  auto back = TensorsOf(m, {"hidden", "labels"});
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(torch::equal((*back)[0], torch::arange(6, torch::kFloat).reshape({2, 3})));
  EXPECT_EQ((*back)[1][1].item<int64_t>(), 7);

  auto expect_error = [](Message bad, const std::string& text) {
    auto r = TensorsOf(bad, {"hidden", "labels"});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().message();
  };
  Message fewer = m;
  fewer.payloads.pop_back();
  expect_error(fewer, "announces 2 tensors but carries 1 payloads");
  Message short_bytes = m;
  short_bytes.payloads[0].resize(5);
  expect_error(short_bytes, "carries 5 bytes, expected 24");
  Message renamed = m;
  renamed.header["tensors"][0]["name"] = "images";
  expect_error(renamed, "is 'images', expected 'hidden'");
  Message dtype = m;
  dtype.header["tensors"][0]["dtype"] = "f16";
  expect_error(dtype, "dtype 'f16'");
  Message huge = m;
  huge.header["tensors"][0]["shape"] = {1 << 20, 1 << 20};
  expect_error(huge, "more than");
  Message negative = m;
  negative.header["tensors"][0]["shape"] = {-2, -3};
  expect_error(negative, "bad dimension -2");
  Message nan = m;
  const float not_a_number = std::nanf("");
  std::memcpy(nan.payloads[0].data(), &not_a_number, 4);
  expect_error(nan, "NaN or infinite");
}

// The differentiable SSIM distance the defenders train with is the metric the privacy
// evaluation reports (metrics::Ssim, itself checked against scikit-image).
TEST(PrivacyNetsTest, SsimDistanceMatchesTheMetric) {
  torch::manual_seed(1);
  const torch::Tensor a = torch::rand({2, 3, 28, 31});
  const torch::Tensor b = (a + 0.2 * torch::randn({2, 3, 28, 31})).clamp(0, 1);
  auto d = ReconstructionDistance(a, b, "ssim");
  ASSERT_TRUE(d.ok());
  double expected = 0;
  for (int i = 0; i < 2; ++i) {
    const torch::Tensor ai = a[i].contiguous(), bi = b[i].contiguous();
    auto s = metrics::Ssim({ai.data_ptr<float>(), 3, 28, 31}, {bi.data_ptr<float>(), 3, 28, 31});
    ASSERT_TRUE(s.ok());
    expected += (1 - *s) / 2;
  }
  EXPECT_NEAR(d->item<double>(), expected, 1e-5);
  auto mse = ReconstructionDistance(a, b, "mse");
  EXPECT_NEAR(mse->item<double>(), (a - b).pow(2).mean().item<double>(), 1e-7);
  EXPECT_FALSE(ReconstructionDistance(a, b, "psnr").ok());
}

TEST(PrivacyNetsTest, DefendersKeepWidthAndTheNullDefenderIsTheIdentity) {
  const torch::Tensor h = torch::rand({4, 900});
  auto none = MakeMlpDefender(900, 0, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(torch::equal(none->forward({h}).toTensor(), h));
  EXPECT_EQ(none->parameters().size(), 0u);
  for (int v = 1; v <= kDefenderVariants; ++v) {
    auto d = MakeMlpDefender(900, v, 0);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->forward({h}).toTensor().sizes(), h.sizes()) << v;
  }
  EXPECT_FALSE(MakeMlpDefender(900, 5, 0).ok());
  for (int v = 1; v <= kAttackVariants; ++v) {
    auto inv = MakeInverter(v, {900}, 1, 28, 28);
    ASSERT_TRUE(inv.ok());
    const torch::Tensor x = (*inv)->forward(h);
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{4, 1, 28, 28})) << v;
    EXPECT_TRUE((x >= 0).all().item<bool>() && (x <= 1).all().item<bool>());
  }
}

// The noisy channel: each example leaves at unit RMS whatever the head's scale, plus fresh
// N(0, noise^2) on every call, so averaging many calls recovers the scaled state and the
// spread around it is the noise asked for.
TEST(PrivacyNetsTest, TheNoisyChannelScalesToUnitRmsAndAddsFreshNoise) {
  torch::manual_seed(3);
  const torch::Tensor h = torch::rand({8, 900}) * torch::arange(1, 9).unsqueeze(1) * 50;
  for (int variant : {0, 2}) {
    auto d = MakeMlpDefender(900, variant, 0, 1.5);
    ASSERT_TRUE(d.ok());
    EXPECT_DOUBLE_EQ(DefenderNoise(*d), 1.5);
    torch::NoGradGuard no_grad;
    const torch::Tensor a = d->forward({h}).toTensor(), b = d->forward({h}).toTensor();
    EXPECT_FALSE(torch::allclose(a, b)) << "fresh noise on every call";
    std::vector<torch::Tensor> calls;
    for (int i = 0; i < 400; ++i) calls.push_back(d->forward({h}).toTensor());
    const torch::Tensor stacked = torch::stack(calls), mean = stacked.mean(0);
    const torch::Tensor rms = mean.pow(2).mean(1).sqrt();
    EXPECT_TRUE(torch::allclose(rms, torch::ones({8}), 0, 0.02)) << rms;
    EXPECT_NEAR((stacked - mean).std().item<double>(), 1.5, 0.02);
  }
  auto deconv = MakeDeconvDefender({4, 6, 6}, 1, 0, 0.5);
  ASSERT_TRUE(deconv.ok());
  const torch::Tensor c = torch::rand({3, 4, 6, 6}) * 100;
  const torch::Tensor out = deconv->forward({c}).toTensor();
  EXPECT_EQ(out.sizes(), c.sizes());
  // RMS about sqrt(1 + 0.5^2) per example, far from the input's ~58.
  EXPECT_NEAR(out.pow(2).mean().sqrt().item<double>(), std::sqrt(1.25), 0.1);
  auto plain = MakeMlpDefender(900, 2, 0);
  EXPECT_DOUBLE_EQ(DefenderNoise(*plain), 0.0);
  EXPECT_FALSE(MakeMlpDefender(900, 1, 0, -1).ok());
  EXPECT_FALSE(MakeMlpDefender(900, 1, 0, std::nan("")).ok());
}

// White-box refinement finds the image behind a hidden state when the map is invertible:
// from a grey start it gets most of the way; with no steps it returns the start.
TEST(WhiteBoxTest, RefinementRecoversTheImageBehindAnInvertibleMap) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::rand({6, 1, 12, 12}) * 0.8 + 0.1;
  const torch::Tensor w = torch::eye(144) + 0.1 * torch::randn({144, 144});
  auto forward = [&](const torch::Tensor& images) {
    return torch::matmul(images.flatten(1), w.t());
  };
  const torch::Tensor observed = forward(x), start = torch::full_like(x, 0.5);
  WhiteBoxOptions options;
  options.steps = 300;
  options.tv = 0;
  options.chunk = 4;  // two chunks
  const torch::Tensor refined = WhiteBoxRefine(forward, observed, start, options);
  ASSERT_EQ(refined.sizes(), x.sizes());
  const double before = (start - x).pow(2).mean().item<double>();
  const double after = (refined - x).pow(2).mean().item<double>();
  EXPECT_LT(after, 0.05 * before) << before << " -> " << after;
  options.steps = 0;
  EXPECT_TRUE(torch::allclose(WhiteBoxRefine(forward, observed, start, options), start, 0, 1e-5));
}

TEST(SplitConfigTest, RoundTripsAndRefusesMalformedFieldsByName) {
  SplitConfig c;
  c.architecture = "deepmarks_cnn";
  c.split_after = "conv2";
  c.batch = 7;
  c.lr = 0.02;
  c.rounds = 1234;
  c.pipeline = false;
  auto back = SplitConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), c.ToJson());
  // What a hostile or broken server might send: each refused, naming the field.
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"batch", "32"}, {"batch", 0},         {"lr", -1.0},        {"lr", nullptr},
      {"pipeline", 1}, {"architecture", ""}, {"sync_every", 2.5}, {"channels", 1 << 20}};
  for (const auto& [field, value] : bad) {
    nlohmann::json j = c.ToJson();
    j[field] = value;
    auto refused = SplitConfig::FromJson(j);
    ASSERT_FALSE(refused.ok()) << field << " = " << value.dump();
    EXPECT_NE(refused.status().message().find("'" + field + "'"), std::string::npos)
        << refused.status();
  }
  nlohmann::json missing = c.ToJson();
  missing.erase("rounds");
  EXPECT_FALSE(SplitConfig::FromJson(missing).ok());
  EXPECT_FALSE(SplitConfig::FromJson(nlohmann::json::array()).ok());
}

TEST(ProtocolTest, EveryMessageRoundTrips) {
  SplitModel m = Fc900();
  const HeadState head{torch::full({1}, 0.3f), torch::full({1}, 0.4f), m.head_names(),
                       m.HeadParameters()};
  SplitConfig config;
  config.rounds = 9;
  const std::vector<ProtocolMessage> all = {
      Join{60, PixelStats{{10.5}, {4.25}, 784}},
      Join{7, std::nullopt},
      Step{3, config, head},
      Act{4, torch::ones({2, 900}), torch::tensor({1, 9}, torch::kLong)},
      Grad{4, true, torch::full({2, 900}, 0.5f)},
      Theta{4, 60, head},
      Stop{}};
  for (const ProtocolMessage& sent : all) {
    const Message wire = Encode(sent);
    auto back = Decode(wire);
    ASSERT_TRUE(back.ok()) << wire.kind << ": " << back.status();
    ASSERT_EQ(back->index(), sent.index()) << wire.kind;
    // Encoding what was decoded gives the same bytes: nothing was lost or defaulted.
    const Message again = Encode(*back);
    EXPECT_EQ(again.header, wire.header) << wire.kind;
    EXPECT_EQ(again.payloads, wire.payloads) << wire.kind;
  }
  auto step = Decode(Encode(all[2]));
  EXPECT_TRUE(std::get<Step>(*step).head.Fits(m.head_names(), m.HeadParameters()).ok());
  EXPECT_EQ(std::get<Step>(*step).config.rounds, 9);
}

TEST(ProtocolTest, MalformedMessagesAreRefusedNamingTheField) {
  SplitModel m = Fc900();
  const HeadState head{torch::full({1}, 0.3f), torch::full({1}, 0.4f), m.head_names(),
                       m.HeadParameters()};
  auto refused = [](const Message& bad, const std::string& text) {
    auto r = Decode(bad);
    ASSERT_FALSE(r.ok()) << bad.kind << " " << bad.header.dump().substr(0, 200);
    EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status();
  };
  const Message act = Encode(Act{4, torch::ones({2, 900}), torch::tensor({1, 9}, torch::kLong)});
  Message no_round = act;
  no_round.header.erase("round");
  refused(no_round, "'round'");
  Message text_round = act;
  text_round.header["round"] = "4";
  refused(text_round, "'round'");
  Message negative_round = act;
  negative_round.header["round"] = -1;
  refused(negative_round, "'round'");
  Message float_labels = Encode(Act{4, torch::ones({2, 900}), torch::ones({2})});
  refused(float_labels, "'labels' must be i64");
  Message few_labels = Encode(Act{4, torch::ones({2, 900}), torch::tensor({1}, torch::kLong)});
  refused(few_labels, "labels has shape [1], expected [2]");
  Message nameless = act;
  nameless.header["tensors"][0]["name"] = 5;
  refused(nameless, "not described by a name");
  Message no_sync = Encode(Grad{4, true, torch::ones({2, 900})});
  no_sync.header["sync"] = 1;
  refused(no_sync, "'sync'");
  Message bad_stats = Encode(Join{60, PixelStats{{10.5}, {4.25}, 784}});
  bad_stats.header["pixel_sum"] = {1.0, "x"};
  refused(bad_stats, "'pixel_sum'");
  Message uneven_stats = Encode(Join{60, PixelStats{{10.5, 1}, {4.25}, 784}});
  refused(uneven_stats, "differ in length");
  Message no_config = Encode(Step{3, SplitConfig{}, head});
  no_config.header.erase("config");
  refused(no_config, "'config'");
  Message bad_config = Encode(Step{3, SplitConfig{}, head});
  bad_config.header["config"]["batch"] = 0;
  refused(bad_config, "'batch'");
  Message headless = Encode(Theta{4, 60, HeadState{torch::ones({1}), torch::ones({1}), {}, {}}});
  refused(headless, "input_mean, input_std and the head's parameters");
  refused(Message{"THETA", {{"round", 4}, {"examples", 60}}, {}},
          "input_mean, input_std and the head's parameters");
  refused(Message{"HELLO", nlohmann::json::object(), {}}, "not a split-learning message");
  refused(Message{"STOP", nlohmann::json::array(), {}}, "not a JSON object");

  // A head from another cut decodes but does not fit this model's.
  SplitModel other = Fc900("fc3");
  auto theta = Decode(Encode(Theta{
      4, 60,
      HeadState{head.input_mean, head.input_std, other.head_names(), other.HeadParameters()}}));
  ASSERT_TRUE(theta.ok()) << theta.status();
  EXPECT_FALSE(std::get<Theta>(*theta).head.Fits(m.head_names(), m.HeadParameters()).ok());
  std::vector<torch::Tensor> wrong = m.HeadParameters();
  wrong[0] = torch::zeros({3, 3});
  Status s = HeadState{head.input_mean, head.input_std, m.head_names(), wrong}.Fits(
      m.head_names(), m.HeadParameters());
  EXPECT_NE(s.message().find("fc1_weight has shape [3, 3]"), std::string::npos) << s;
}

}  // namespace
}  // namespace securemark::split
