// The zoo's architectures, layer addressing, and TorchScript written by PyTorch itself.
#include "models/model_zoo.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/archive_guard.h"
#include "securemark/files.h"

namespace securemark::models {
namespace {

std::vector<int64_t> OutputShape(torch::jit::Module& m, std::vector<int64_t> input) {
  return m.forward({torch::rand(input)}).toTensor().sizes().vec();
}

TEST(ModelZooTest, EveryArchitectureBuildsWithNamedLayersAndTheRightOutput) {
  auto cnn = BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);
  ASSERT_TRUE(cnn.ok()) << cnn.status();
  EXPECT_EQ(LayerNames(*cnn),
            (std::vector<std::string>{"conv1", "conv2", "conv3", "conv4", "fc1", "fc2"}));
  EXPECT_EQ(OutputShape(*cnn, {2, 1, 28, 28}), (std::vector<int64_t>{2, 10}));
  auto fc = BuildModel("fc900", 1, 28, 28, 10, 0);
  ASSERT_TRUE(fc.ok());
  EXPECT_EQ(LayerNames(*fc).size(), 5u);
  auto lfw = BuildModel("lfw_conv", 3, 64, 64, 40, 0);
  ASSERT_TRUE(lfw.ok()) << lfw.status();
  EXPECT_EQ(OutputShape(*lfw, {2, 3, 64, 64}), (std::vector<int64_t>{2, 40}));

  auto vgg = BuildModel("vgg19_bn", 3, 32, 32, 10, 0);
  ASSERT_TRUE(vgg.ok()) << vgg.status();
  EXPECT_EQ(LayerNames(*vgg).size(), 17u);  // 16 convolutions and the classifier
  vgg->eval();
  EXPECT_EQ(OutputShape(*vgg, {2, 3, 32, 32}), (std::vector<int64_t>{2, 10}));
  // Batch norm updates its running statistics only in training mode.
  const torch::Tensor before = vgg->attr("bn1_running_mean").toTensor().clone();
  vgg->train();
  vgg->forward({torch::rand({4, 3, 32, 32})});
  EXPECT_FALSE(torch::equal(before, vgg->attr("bn1_running_mean").toTensor()));

  auto wrn = BuildModel("wrn16_4", 3, 32, 32, 10, 0);
  ASSERT_TRUE(wrn.ok()) << wrn.status();
  wrn->eval();
  EXPECT_EQ(OutputShape(*wrn, {2, 3, 32, 32}), (std::vector<int64_t>{2, 10}));
  int64_t parameters = 0;
  for (const auto& p : wrn->parameters()) parameters += p.numel();
  // WRN-16-4 has about 2.7 million parameters.
  EXPECT_NEAR(static_cast<double>(parameters), 2.75e6, 0.1e6);
  EXPECT_EQ(BuildModel("vgg19_bn", 3, 28, 28, 10, 0).status().code(), StatusCode::kInvalidArgument);
}

// Found by fuzz/model_fuzzer: a TorchScript archive with garbled code made the parser
// throw std::runtime_error, which escaped the loader. Now both readers refuse it.
TEST(ModelZooTest, AnArchiveWithGarbledCodeIsRefused) {
  auto bytes = ReadFile(std::string(SECUREMARK_SOURCE_DIR) +
                        "/fuzz/regressions/model-bad-torchscript-code.pt");
  ASSERT_TRUE(bytes.ok());
  auto model = LoadModel(*bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("cannot load the TorchScript model"), std::string::npos);
  auto reference = BuildModel("fc900", 1, 28, 28, 10, 1);
  ASSERT_TRUE(reference.ok());
  EXPECT_FALSE(LoadCheckpoint(*bytes, *reference).ok());
}

// A PyTorch state_dict (nested under "state_dict", as training scripts save it) loads into
// the reference architecture; a missing parameter is named.
TEST(ModelZooTest, CheckpointsLoadIntoTheReferenceArchitecture) {
  auto reference = BuildModel("fc900", 1, 28, 28, 10, 1);
  ASSERT_TRUE(reference.ok());
  c10::impl::GenericDict state(c10::StringType::get(), c10::AnyType::get());
  for (const auto& p : reference->named_parameters()) state.insert(p.name, p.value.detach() + 1);
  c10::impl::GenericDict outer(c10::StringType::get(), c10::AnyType::get());
  outer.insert("state_dict", state);
  const std::vector<char> saved = torch::pickle_save(outer);
  auto loaded = LoadCheckpoint(std::string(saved.begin(), saved.end()), *reference);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto a = *reference->named_parameters().begin();
  auto b = *loaded->named_parameters().begin();
  EXPECT_TRUE(torch::allclose(b.value, a.value + 1));
  ASSERT_EQ(state.erase(a.name), 1u);
  const std::vector<char> partial = torch::pickle_save(outer);
  auto missing = LoadCheckpoint(std::string(partial.begin(), partial.end()), *reference);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(a.name), std::string::npos) << missing.status();
}

// Found by fuzz/model_fuzzer: a 1 KB checkpoint whose pickle declares a string of
// gigabytes made LibTorch's unpickler reserve them. Checkpoints are now read by the
// project's own pickle reader, which refuses the length; the archive check refuses it too.
TEST(ModelZooTest, APickleDeclaringMoreBytesThanItHasIsRefusedBeforeLibTorchReadsIt) {
  auto bytes = ReadFile(std::string(SECUREMARK_SOURCE_DIR) +
                        "/fuzz/regressions/model-checkpoint-huge-string-length.pth");
  ASSERT_TRUE(bytes.ok());
  auto reference = BuildModel("fc900", 1, 28, 28, 10, 1);
  ASSERT_TRUE(reference.ok());
  auto loaded = LoadCheckpoint(*bytes, *reference);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("data.pkl"), std::string::npos) << loaded.status();
  EXPECT_NE(loaded.status().message().find("past the end"), std::string::npos) << loaded.status();
  Status archive = CheckModelArchive(*bytes);
  EXPECT_NE(archive.message().find("remain"), std::string::npos) << archive;
  // Every real archive passes: ours, and PyTorch's TorchScript and checkpoints.
  EXPECT_TRUE(CheckModelArchive(SaveModel(*reference)).ok());
  for (const char* seed : {"torchscript.pt", "checkpoint.pth"}) {
    auto real = ReadFile(std::string(SECUREMARK_SOURCE_DIR) + "/fuzz/corpus/model/" + seed);
    ASSERT_TRUE(real.ok());
    EXPECT_TRUE(CheckModelArchive(*real).ok()) << seed << ": " << CheckModelArchive(*real);
  }
}

TEST(ModelZooTest, PickleChecksCatchLengthsMemoIndicesAndMissingStops) {
  EXPECT_TRUE(CheckPickle(std::string("\x80\x02X\x02\x00\x00\x00hiq\x00.", 12), "p").ok());
  EXPECT_FALSE(CheckPickle(std::string("\x80\x02X\xff\xff\xff\x7fhi.", 11), "p").ok());
  EXPECT_FALSE(CheckPickle(std::string("\x80\x02r\xff\xff\xff\xff.", 8), "p").ok());
  EXPECT_FALSE(CheckPickle(std::string("\x80\x02N", 3), "p").ok());
  EXPECT_FALSE(CheckPickle(std::string("\x80\x02\xff.", 4), "p").ok());
}

TEST(ModelZooTest, UnknownNamesAreAnsweredWithTheKnownOnes) {
  auto missing = BuildModel("resnet", 1, 28, 28, 10, 0);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("wrn16_4"), std::string::npos);
  auto cnn = BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);
  auto layer = LayerWeight(*cnn, "conv9");
  EXPECT_EQ(layer.status().code(), StatusCode::kNotFound);
  EXPECT_NE(layer.status().message().find("conv1, conv2"), std::string::npos);
}

TEST(ModelZooTest, NormalisationIsPartOfTheModelAndSurvivesSaving) {
  auto m = BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);
  auto plain = BuildModel("deepmarks_cnn", 1, 28, 28, 10, 0);  // same seed, no normalisation
  const torch::Tensor x = torch::rand({3, 1, 28, 28});
  ASSERT_TRUE(SetInputNormalization(*m, {0.5}, {0.25}).ok());
  const torch::Tensor normalised = m->forward({x}).toTensor();
  EXPECT_TRUE(torch::allclose(normalised, plain->forward({(x - 0.5) / 0.25}).toTensor()));
  EXPECT_FALSE(torch::allclose(normalised, plain->forward({x}).toTensor()));
  auto loaded = LoadModel(SaveModel(*m));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(torch::allclose(loaded->forward({x}).toTensor(), normalised));
  EXPECT_EQ(SetInputNormalization(*m, {0.5, 0.5}, {1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SetInputNormalization(*m, {0.5}, {0}).code(), StatusCode::kInvalidArgument);
}

TEST(ModelZooTest, CorruptModelFilesAreRefusedClearly) {
  EXPECT_EQ(LoadModel("not a model").status().code(), StatusCode::kDataLoss);
  std::string saved = SaveModel(*BuildModel("fc900", 1, 8, 8, 10, 0));
  saved.resize(saved.size() / 2);
  auto truncated = LoadModel(saved);
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("cannot load"), std::string::npos);
}

// A module written by PyTorch (torch.jit.script of an nn.Sequential) loads, and its
// layers are addressed by qualified names.
TEST(ModelZooTest, LoadsTorchScriptSavedByPyTorchAndAddressesQualifiedLayers) {
  if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-torch is not installed";
  }
  const std::string path = testing::TempDir() + "/pytorch_model.pt";
  const std::string script =
      "import torch\n"
      "torch.manual_seed(0)\n"
      "m = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(),\n"
      "    torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8 * 26 * 26, 10)))\n"
      "torch.jit.script(m).save('" +
      path + "')\n";
  std::ofstream(testing::TempDir() + "/make_model.py") << script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + testing::TempDir() + "/make_model.py").c_str()), 0);
  auto bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  auto m = LoadModel(*bytes);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(LayerNames(*m), (std::vector<std::string>{"0", "2.1"}));
  auto w = LayerWeight(*m, "2.1");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->sizes().vec(), (std::vector<int64_t>{10, 8 * 26 * 26}));
  EXPECT_EQ(OutputShape(*m, {2, 1, 28, 28}), (std::vector<int64_t>{2, 10}));
}

}  // namespace
}  // namespace securemark::models
