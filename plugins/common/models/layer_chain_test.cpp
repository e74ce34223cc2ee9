#include "models/layer_chain.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_zoo.h"
#include "models/projection.h"

namespace securemark::models {
namespace {

torch::jit::Module Zoo(const std::string& name) {
  auto m = BuildModel(name, 1, 28, 28, 10, 5);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

torch::Tensor Outputs(torch::jit::Module& m, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return m.forward({x}).toTensor();
}

ReparamOptions Everything() {
  ReparamOptions o;
  o.min_scale = 0.25;
  o.max_scale = 4;
  o.dummy_pairs = 3;
  o.seed = 9;
  return o;
}

TEST(LayerChainTest, ReparameterisationKeepsTheFunctionAndMovesTheWeights) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({6, 1, 28, 28});
  for (const std::string name : {"fc900", "deepmarks_cnn"}) {
    torch::jit::Module m = Zoo(name);
    const torch::Tensor before = Outputs(m, x);
    const torch::Tensor signal = *LayerSignal(m, name == "fc900" ? "fc4" : "conv3");
    ASSERT_TRUE(Reparameterise(m, Everything()).ok());
    EXPECT_TRUE(torch::allclose(Outputs(m, x), before, 1e-4, 1e-4)) << name;
    const torch::Tensor moved = *LayerSignal(m, name == "fc900" ? "fc4" : "conv3");
    EXPECT_NE(moved.sizes(), signal.sizes()) << name;  // dummies widened the layer's inputs
  }
  torch::jit::Module m = Zoo("fc900");
  ReparamOptions last;
  last.layers = {"fc5"};
  EXPECT_FALSE(Reparameterise(m, last).ok());
}

TEST(LayerChainTest, AlignmentUndoesReparameterisationOfAFingerprintedCopy) {
  for (const std::string name : {"fc900", "deepmarks_cnn"}) {
    const std::string layer = name == "fc900" ? "fc4" : "conv3";
    torch::jit::Module reference = Zoo(name);
    // A customer's copy: the reference plus a small change (as embedding makes).
    torch::jit::Module copy = reference.clone();
    {
      torch::NoGradGuard no_grad;
      for (auto p : copy.parameters()) p.add_(torch::randn_like(p) * 1e-3);
    }
    const torch::Tensor marked = *LayerSignal(copy, layer);
    torch::jit::Module suspect = copy.clone();
    ASSERT_TRUE(Reparameterise(suspect, Everything()).ok());
    StatusOr<AlignmentReport> r = AlignToReference(suspect, reference);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GT(r->units_moved, 0);
    EXPECT_EQ(r->dummies_dropped, 2 * 3 * (name == "fc900" ? 4 : 5));
    EXPECT_GT(r->mean_similarity, 0.99);
    // Scales are known only up to the copy's own change along each unit's weights, so the
    // recovered weights are close, not equal: within 2% of the signal's size.
    const torch::Tensor aligned = *LayerSignal(suspect, layer);
    EXPECT_LT((aligned - marked).abs().max().item<double>(),
              0.02 * marked.abs().max().item<double>())
        << name;
    for (const std::string& l : LayerNames(copy))
      EXPECT_TRUE(torch::allclose(*LayerWeight(suspect, l), *LayerWeight(copy, l), 0, 2e-3))
          << name << " " << l;
  }
  torch::jit::Module cnn = Zoo("deepmarks_cnn"), fc = Zoo("fc900");
  EXPECT_FALSE(AlignToReference(cnn, fc).ok());
}

TEST(LayerChainTest, WeightShiftErasesTheMeanAndOtherModelsAreRefused) {
  torch::jit::Module m = Zoo("fc900");
  ASSERT_TRUE(ShiftWeights(m, "fc4", 1.0).ok());
  EXPECT_LT(LayerSignal(m, "fc4")->abs().max().item<double>(), 1e-6);
  EXPECT_FALSE(ShiftWeights(m, "fc9", 1.0).ok());
  auto vgg = BuildModel("vgg19_bn", 3, 32, 32, 10, 1);
  ASSERT_TRUE(vgg.ok());
  StatusOr<std::vector<ChainLayer>> chain = LayerChain(*vgg);
  ASSERT_FALSE(chain.ok());
  // It names the module that stops alignment, and what alignment needs.
  EXPECT_NE(chain.status().message().find("parameter 'bn1_weight' is a one-dimensional weight"),
            std::string::npos)
      << chain.status();
  EXPECT_NE(chain.status().message().find("plain chains of Linear and Conv layers"),
            std::string::npos);
}

}  // namespace
}  // namespace securemark::models
