// `securemark export` on a real store: formats other tools read (NumPy checks the .npy
// files), secrets only on request into new 0600 files, and refusals that name the problem.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "securemark/files.h"
#include "securemark/values.h"
#include "store.h"
#include "util/process.h"

namespace securemark {
namespace {

struct Result {
  int exit_code;
  std::string output;
};

Result Shell(const std::string& command) {
  auto r = RunProcess({"/bin/sh", "-c", command + " 2>&1"}, true);
  EXPECT_TRUE(r.ok());
  return {r->exit_code, r->output};
}

class ExportCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/export_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = std::move(store::Store::Open(dir_ + "/store")).value();
    TensorMap extraction;
    extraction.Put("fingerprint", Tensor::FromVector<double>({3}, {0.5, -1.25, 3e-7}));
    extraction.Put("key_gram", Tensor::FromVector<double>({2, 2}, {1, 2, 3, 4}));
    extraction.SetAttr("layer", "fc2");
    extraction_ = *s->PutArtifact("Tensors/Extraction", extraction.Encode(), false);
    TensorMap key;
    key.Put("key", Tensor::FromVector<double>({2, 3}, {1, 2, 3, 4, 5, 6}));
    key_ = *s->PutArtifact("Tensors/ProjectionKey", key.Encode(), true);
    accusation_ =
        *s->PutArtifact("Json/Accusation", R"({"accused":[{"user":3}],"users":8})", false);
    codebook_ = *s->PutArtifact("Codebook", codes::Codebook::Orthogonal(4).Encode(), true);
    model_ = *s->PutArtifact("Model", std::string("PK\x03\x04 a model archive", 20), false);
    int64_t e = *s->BeginExecution(store::NewExecution::Of("testing.work"));
    (void)*s->StageOutput(e, "Blob", "x", false);
    ASSERT_TRUE(s->FailExecution(e, "broken").ok());
  }
  Result Export(const std::string& args) {
    return Shell(std::string(SECUREMARK_BUILD_DIR) + "/bin/securemark export --store " + dir_ +
                 "/store " + args);
  }
  std::string Out(const std::string& name) { return dir_ + "/" + name; }
  static std::string A(int64_t id) { return "a" + std::to_string(id); }

  std::string dir_;
  int64_t extraction_ = 0, key_ = 0, accusation_ = 0, codebook_ = 0, model_ = 0;
};

TEST_F(ExportCommandTest, TensorsAsNpyReadByNumPyAndAsCsvAndJson) {
  Result npy = Export(A(extraction_) + " --tensor fingerprint --out " + Out("f.npy"));
  ASSERT_EQ(npy.exit_code, 0) << npy.output;
  Result check = Shell("/usr/bin/python3 -c \"import numpy; a = numpy.load('" + Out("f.npy") +
                       "'); print(a.dtype, a.shape, repr(a.tolist()))\"");
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "float64 (3,) [0.5, -1.25, 3e-07]\n");
  ASSERT_EQ(Export(A(extraction_) + " --tensor key_gram --out " + Out("g.npy")).exit_code, 0);
  Result gram = Shell("/usr/bin/python3 -c \"import numpy; print(numpy.load('" + Out("g.npy") +
                      "').tolist())\"");
  EXPECT_EQ(gram.output, "[[1.0, 2.0], [3.0, 4.0]]\n");

  ASSERT_EQ(
      Export(A(extraction_) + " --tensor key_gram --format csv --out " + Out("g.csv")).exit_code,
      0);
  EXPECT_EQ(*ReadFile(Out("g.csv")), "1,2\n3,4\n");
  ASSERT_EQ(Export(A(extraction_) + " --out " + Out("all.json")).exit_code, 0);
  auto all = nlohmann::json::parse(*ReadFile(Out("all.json")));
  EXPECT_EQ(all["attributes"]["layer"], "fc2");
  EXPECT_EQ(all["tensors"]["key_gram"]["shape"], nlohmann::json::array({2, 2}));
  EXPECT_EQ(all["tensors"]["fingerprint"]["data"][1], -1.25);
}

// PyTorch's own loader reads a pt export as a dict of named tensors, with their dtypes,
// shapes and values; a codebook comes out as its words, one row per customer.
TEST_F(ExportCommandTest, TensorsAndCodebooksAsPtReadByTorchLoad) {
  if (Shell("/usr/bin/python3 -c 'import torch'").exit_code != 0)
    GTEST_SKIP() << "python3-torch is not installed";
  ASSERT_EQ(Export(A(extraction_) + " --format pt --out " + Out("all.pt")).exit_code, 0);
  Result all = Shell("/usr/bin/python3 -c \"import torch; d = torch.load('" + Out("all.pt") +
                     "'); print(sorted(d), d['fingerprint'].dtype, d['fingerprint'].tolist(), "
                     "d['key_gram'].shape, d['key_gram'][1, 0].item())\"");
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_EQ(all.output,
            "['fingerprint', 'key_gram'] torch.float64 [0.5, -1.25, 3e-07] "
            "torch.Size([2, 2]) 3.0\n");
  ASSERT_EQ(
      Export(A(extraction_) + " --tensor key_gram --format pt --out " + Out("g.pt")).exit_code, 0);
  Result one =
      Shell("/usr/bin/python3 -c \"import torch; print(list(torch.load('" + Out("g.pt") + "')))\"");
  EXPECT_EQ(one.output, "['key_gram']\n");

  ASSERT_EQ(Export(A(codebook_) + " --secret --format pt --out " + Out("code.pt")).exit_code, 0);
  Result words = Shell("/usr/bin/python3 -c \"import torch; w = torch.load('" + Out("code.pt") +
                       "')['words']; print(w.dtype, tuple(w.shape), w.sum(1).tolist())\"");
  ASSERT_EQ(words.exit_code, 0) << words.output;
  const codes::Codebook code = codes::Codebook::Orthogonal(4);
  std::string sums;
  for (int64_t u = 0; u < code.users(); ++u) {
    int64_t ones = 0;
    for (int64_t p = 0; p < code.length(); ++p) ones += code.Bit(p, u);
    sums += (sums.empty() ? "" : ", ") + std::to_string(ones);
  }
  EXPECT_EQ(words.output, "torch.uint8 (" + std::to_string(code.users()) + ", " +
                              std::to_string(code.length()) + ") [" + sums + "]\n");
}

TEST_F(ExportCommandTest, AmbiguousOrMissingTensorsAreNamed) {
  Result which = Export(A(extraction_) + " --format npy --out " + Out("x.npy"));
  EXPECT_EQ(which.exit_code, 1);
  EXPECT_NE(which.output.find("holds tensors fingerprint, key_gram; name one with --tensor"),
            std::string::npos)
      << which.output;
  Result missing = Export(A(extraction_) + " --tensor fingerprnt --out " + Out("x.npy"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("no tensor 'fingerprnt'"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(Out("x.npy")));
  Result format = Export(A(accusation_) + " --format npy --out " + Out("x.npy"));
  EXPECT_EQ(format.exit_code, 1);
  EXPECT_NE(format.output.find("Json/Accusation exports as json"), std::string::npos)
      << format.output;
  Result exec = Export("e1 --out " + Out("x"));
  EXPECT_EQ(exec.exit_code, 1);
  EXPECT_NE(exec.output.find("export takes an artifact"), std::string::npos) << exec.output;
  Result usage = Export(A(accusation_) + " --format xml --out " + Out("x"));
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/store/tmp") ||
              !std::filesystem::exists(dir_ + "/store/tmp"));
}

TEST_F(ExportCommandTest, SecretsLeaveOnlyOnRequestIntoANewPrivateFile) {
  Result refused = Export(A(key_) + " --out " + Out("key.npy"));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("is secret; add --secret"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(Out("key.npy")));

  Result ok = Export(A(key_) + " --secret --out " + Out("key.npy"));
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  struct stat st {};
  ASSERT_EQ(stat(Out("key.npy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result check = Shell("/usr/bin/python3 -c \"import numpy; print(numpy.load('" + Out("key.npy") +
                       "').shape)\"");
  EXPECT_EQ(check.output, "(2, 3)\n");

  // Never over an existing file, not even with --force; the file stays as it was.
  ASSERT_TRUE(WriteFileAtomic(Out("existing"), "keep me").ok());
  Result again = Export(A(key_) + " --secret --force --out " + Out("existing"));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("only written to a new file"), std::string::npos) << again.output;
  EXPECT_EQ(*ReadFile(Out("existing")), "keep me");

  Result codebook = Export(A(codebook_) + " --secret --out " + Out("codes.csv"));
  ASSERT_EQ(codebook.exit_code, 0) << codebook.output;
  EXPECT_EQ(*ReadFile(Out("codes.csv")), "1,0,0,0\n0,1,0,0\n0,0,1,0\n0,0,0,1\n");
}

TEST_F(ExportCommandTest, DocumentsAndModelsAndExistingFiles) {
  ASSERT_EQ(Export(A(accusation_) + " --out " + Out("a.json")).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(*ReadFile(Out("a.json")))["accused"][0]["user"], 3);
  ASSERT_EQ(Export(A(model_) + " --out " + Out("m.pt")).exit_code, 0);
  EXPECT_EQ(*ReadFile(Out("m.pt")), std::string("PK\x03\x04 a model archive", 20));
  Result exists = Export(A(accusation_) + " --out " + Out("m.pt"));
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.output.find("add --force"), std::string::npos) << exists.output;
  ASSERT_EQ(Export(A(accusation_) + " --force --out " + Out("m.pt")).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(*ReadFile(Out("m.pt")))["users"], 8);
}

}  // namespace
}  // namespace securemark
