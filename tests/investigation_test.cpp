// A vendor's investigation end to end: DeepMarks copies are delivered, leaked files are
// traced (an exact copy, and a PyTorch-made checkpoint averaging two customers' copies),
// the customers and models are audited, and the runs are reported as HTML that headless
// Chromium renders with every image.
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "investigation_fixture.h"
#include "report/testing/headless_browser.h"
#include "securemark/files.h"
#include "securemark/typed.h"
#include "securemark/values.h"
#include "store.h"
#include "util/process.h"

namespace securemark {
namespace {

TEST_F(InvestigationTest, ALeakedCopyIsTracedToItsCustomerWithAPValue) {
  std::string text;
  ASSERT_EQ(Securemark("trace " + Delivered(5) + " --store " + Store() + " --plain", &text), 0)
      << text;
  EXPECT_NE(text.find("VERDICT: 1 customer accused"), std::string::npos) << text;
  EXPECT_NE(text.find("  customer 5  score"), std::string::npos) << text;
  EXPECT_NE(text.find("byte-identical to the model delivered to customer 5"), std::string::npos);
  EXPECT_NE(text.find("EVIDENCE CHAIN"), std::string::npos);

  const json verdict = TraceJson(Delivered(5));
  ASSERT_TRUE(verdict.is_object());
  EXPECT_EQ(Accused(verdict), std::vector<int64_t>{5}) << verdict.dump();
  EXPECT_LT(verdict["accused"][0]["p_value"].get<double>(), 0.01 / 31);
  EXPECT_EQ(verdict["deployment"].get<std::string>().rfind("deepmarks-fmnist-", 0), 0u);
  for (const char* link : {"suspect", "key", "reference", "codebook", "calibration", "verdict"})
    EXPECT_TRUE(verdict["evidence_chain"].contains(link)) << link;
}

// PyTorch (not securemark) averages two customers' models and saves a plain state_dict.
TEST_F(InvestigationTest, APyTorchCheckpointAveragingTwoCopiesNamesBothCustomers) {
  const std::string checkpoint = Dir() + "/colluded-3-7.pth";
  auto py = RunProcess(
      {"/usr/bin/python3", "-c",
       "import sys, torch\n"
       "a, b = torch.jit.load(sys.argv[1]).state_dict(), torch.jit.load(sys.argv[2]).state_dict()\n"
       "torch.save({'state_dict': {k: (a[k].double() + b[k].double()) / 2 for k in a},"
       " 'epoch': 3}, sys.argv[3])\n",
       Delivered(3), Delivered(7), checkpoint},
      true);
  ASSERT_TRUE(py.ok() && py->exit_code == 0);
  const json verdict = TraceJson(checkpoint);
  ASSERT_TRUE(verdict.is_object());
  EXPECT_EQ(Accused(verdict), (std::vector<int64_t>{3, 7})) << verdict.dump();
}

TEST_F(InvestigationTest, AuditsShowDeliveriesLineageAndTheInvestigationsThatNamedThem) {
  TraceJson(Delivered(9));
  std::string text;
  ASSERT_EQ(Securemark("audit customer 9 --store " + Store(), &text), 0) << text;
  EXPECT_NE(text.find("customer 9: 1 delivered model(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("made by delivery.torchscript"), std::string::npos) << text;
  EXPECT_NE(text.find("made by embedder.projection"), std::string::npos) << text;
  EXPECT_NE(text.find("made by server_trainer.standalone"), std::string::npos) << text;
  EXPECT_NE(text.find("named by "), std::string::npos) << text;
  EXPECT_EQ(text.find("named by no investigation"), std::string::npos) << text;

  std::string out;
  ASSERT_EQ(Securemark("audit model " + Delivered(9) + " --store " + Store() + " --json", &out,
                       /*with_stderr=*/false),
            0);
  const json model = json::parse(out, nullptr, false);
  ASSERT_TRUE(model.is_object()) << out;
  EXPECT_EQ(model["delivered"]["customer"], 9);
  EXPECT_GE(model["history"].size(), 3u);
  EXPECT_GE(model["traced_by"].size(), 1u);
  EXPECT_GE(model["named_by"].size(), 1u);
  for (const json& inv : model["named_by"]) EXPECT_LT(inv["p_value"].get<double>(), 0.01);

  ASSERT_EQ(Securemark("audit runs --store " + Store(), &text), 0) << text;
  EXPECT_NE(text.find("deepmarks-fmnist-"), std::string::npos);
  EXPECT_NE(text.find("trace-"), std::string::npos);
}

TEST_F(InvestigationTest, TheReportOfTheRunRendersInChromiumWithEveryImage) {
  std::string out;
  const std::string dir = Dir() + "/report";
  ASSERT_EQ(Securemark("report deepmarks-fmnist --store " + Store() + " --out " + dir, &out), 0)
      << out;
  auto html = ReadFile(dir + "/index.html");
  ASSERT_TRUE(html.ok());
  for (const char* section : {"Accuracy per epoch", "Detection vs colluders", "Lineage", "Tables"})
    EXPECT_NE(html->find(section), std::string::npos) << section;
  report::testing::RenderedImages page = report::testing::RenderInChromium(dir + "/index.html");
  ASSERT_TRUE(page.rendered) << page.dom.substr(0, 2000);
  EXPECT_GE(page.total, 4);
  EXPECT_EQ(page.loaded, page.total) << "broken: " << page.broken;
}

// No delivered file carries bytes of the secrets: the projection key, the secret unit
// weights, the basis. Every secret artifact is stored 0600.
TEST_F(InvestigationTest, DeliveredFilesCarryNoSecretBytesAndSecretsAre0600) {
  auto store = store::Store::Open(Store(), /*create=*/false);
  ASSERT_TRUE(store.ok());
  std::vector<std::string> delivered;
  for (const auto& entry : fs::directory_iterator(Dir() + "/delivered")) {
    auto bytes = ReadFile(entry.path().string());
    ASSERT_TRUE(bytes.ok());
    delivered.push_back(*bytes);
  }
  ASSERT_EQ(delivered.size(), 31u);
  int secrets = 0, windows = 0;
  for (const char* name : {"embed@0.key", "code.basis", "code.codebook"}) {
    auto found = (*store)->FindArtifactsByName(name);
    ASSERT_TRUE(found.ok() && !found->empty()) << name;
    const store::Artifact& a = found->front();
    EXPECT_TRUE(a.secret) << name;
    struct stat st {};
    ASSERT_EQ(stat((*store)->blobs().PathOf(a.digest).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    ++secrets;
    if (BaseTypeOf(a.type) != "Tensors") continue;
    auto bytes = (*store)->ReadArtifact(a.id);
    ASSERT_TRUE(bytes.ok());
    auto map = TensorMap::Decode(*bytes);
    ASSERT_TRUE(map.ok());
    for (const auto& [tensor_name, tensor] : map->tensors()) {
      const std::string raw(tensor.raw_data(), tensor.nbytes());
      // 32-byte windows at the start, middle and end of every secret tensor.
      for (size_t at : {size_t{0}, raw.size() / 2, raw.size() - 32}) {
        if (raw.size() < 32) break;
        const std::string window = raw.substr(at, 32);
        ++windows;
        for (const std::string& file : delivered)
          EXPECT_EQ(file.find(window), std::string::npos) << name << "/" << tensor_name;
      }
    }
  }
  EXPECT_EQ(secrets, 3);
  EXPECT_GE(windows, 9);
}

TEST_F(InvestigationTest, BadInputsAreRefusedClearlyAndTheStoreStaysHealthy) {
  std::string out;
  const std::string not_a_model = Dir() + "/notes.txt";
  ASSERT_TRUE(WriteFileAtomic(not_a_model, "not a model").ok());
  EXPECT_EQ(Securemark("trace " + not_a_model + " --store " + Store(), &out), 1);
  EXPECT_NE(out.find("notes.txt is not a TorchScript model or a torch.save checkpoint"),
            std::string::npos)
      << out;
  EXPECT_EQ(Securemark("trace " + Dir() + "/missing.pt --store " + Store(), &out), 1);
  EXPECT_NE(out.find("missing.pt"), std::string::npos) << out;
  EXPECT_EQ(Securemark("trace " + Delivered(1) + " --deployment nope --store " + Store(), &out), 1);
  EXPECT_NE(out.find("no run or pipeline named 'nope'"), std::string::npos) << out;
  // A zip that is neither TorchScript nor a checkpoint fails in extraction, naming the input.
  const std::string zip = Dir() + "/archive.zip";
  ASSERT_TRUE(WriteFileAtomic(zip, std::string("PK\x03\x04", 4) + std::string(64, 'z')).ok());
  EXPECT_EQ(Securemark("trace " + zip + " --store " + Store() + " --plain", &out), 1);
  EXPECT_NE(out.find("input 'model'"), std::string::npos) << out;
  EXPECT_EQ(Securemark("audit customer abc --store " + Store(), &out), 2);
  EXPECT_NE(out.find("non-negative integer"), std::string::npos) << out;
  EXPECT_EQ(Securemark("report no-such-run --out " + Dir() + "/r --store " + Store(), &out), 1);
  EXPECT_NE(out.find("no run or pipeline named 'no-such-run'"), std::string::npos) << out;
  EXPECT_EQ(Securemark("store check --store " + Store(), &out), 0) << out;
}

// ---- verdicts on models made with plain PyTorch (tests/make_suspects.py)

int Python(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/python3", kSource + "/tests/make_suspects.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv, true);
  EXPECT_TRUE(r.ok());
  if (r.ok() && r->exit_code != 0) std::cerr << r->output;
  return r.ok() ? r->exit_code : -1;
}

// Every common checkpoint form is traced to the customer whose copy it holds.
TEST_F(InvestigationTest, EveryCheckpointFormIsTracedToTheRightCustomer) {
  const std::string dir = Dir() + "/forms";
  fs::create_directories(dir);
  const std::vector<std::string> forms = {
      "ordered",       "one-key", "model-wrapper", "model-state-dict", "net",
      "data-parallel", "float16", "bfloat16",      "float64",          "module-names"};
  std::map<std::string, int64_t> customer_of;
  for (size_t i = 0; i < forms.size(); ++i) {
    const int64_t customer = 11 + static_cast<int64_t>(i);
    ASSERT_EQ(
        Python({"forms", Delivered(static_cast<int>(customer)), std::to_string(customer), dir}), 0);
    customer_of[forms[i]] = customer;
  }
  for (const auto& [form, customer] : customer_of) {
    const std::string file = dir + "/" + form + "-" + std::to_string(customer) + ".pt";
    const json verdict = TraceJson(file);
    ASSERT_TRUE(verdict.is_object()) << form;
    EXPECT_EQ(Accused(verdict), std::vector<int64_t>{customer}) << form << ": " << verdict.dump();
    EXPECT_EQ(verdict["decided_by"], "identification") << form;
  }
}

std::string ReferenceFile(const std::string& store_dir, const std::string& out) {
  auto store = store::Store::Open(store_dir, /*create=*/false);
  EXPECT_TRUE(store.ok());
  auto found = (*store)->FindArtifactsByName("train.model");
  EXPECT_TRUE(found.ok() && !found->empty());
  auto bytes = (*store)->ReadArtifact(found->front().id);
  EXPECT_TRUE(bytes.ok());
  EXPECT_TRUE(WriteFileAtomic(out, *bytes).ok());
  return out;
}

// Models that never came from this deployment: a random initialisation, the same
// architecture trained from scratch by someone else, and the vendor's reference model
// fine-tuned without the fingerprint. Before the provenance test, such models got
// customers accused with p-values below 1e-6.
TEST_F(InvestigationTest, InnocentModelsAccuseNobody) {
  const std::string dir = Dir() + "/innocents";
  fs::create_directories(dir);
  const std::string fmnist = "/usr/share/datasets/fashion-mnist";
  const std::vector<std::pair<std::string, std::vector<std::string>>> made = {
      {"random-1.pt", {"random", Delivered(0), "1", dir + "/random-1.pt"}},
      {"random-2.pt", {"random", Delivered(0), "2", dir + "/random-2.pt"}},
      {"scratch-1.pt", {"trained", Delivered(0), "3", fmnist, "10000", dir + "/scratch-1.pt"}},
      {"scratch-2.pt", {"trained", Delivered(0), "4", fmnist, "20000", dir + "/scratch-2.pt"}},
      {"mu0.pt",
       {"finetune", ReferenceFile(Store(), dir + "/reference.pt"), "5", fmnist, dir + "/mu0.pt"}}};
  // Stage 1 runs at level 0.01, so an innocent goes on to stage 2 once in a hundred (each
  // key is fresh per store; 25 scratch models on one store gave p from 0.037 to 1 and a
  // mean statistic of mean 0.08, sd 1.14). Asking all five to stop at stage 1 would fail
  // one store in twenty by design; two of five passing it happens once in a thousand.
  // Whatever stage 1 says, nobody may be accused.
  int passed_stage_one = 0;
  for (const auto& [file, args] : made) {
    ASSERT_EQ(Python(args), 0) << file;
    const json verdict = TraceJson(dir + "/" + file);
    ASSERT_TRUE(verdict.is_object());
    EXPECT_TRUE(verdict["accused"].empty()) << file << ": " << verdict.dump();
    if (verdict["decided_by"] != "provenance") {
      ++passed_stage_one;
      std::cout << file << " went on to stage 2: " << verdict["provenance"].dump() << "\n";
      continue;
    }
    EXPECT_GT(verdict["provenance"]["p_value"].get<double>(), 0.01) << file;
    std::string text;
    ASSERT_EQ(Securemark("trace " + dir + "/" + file + " --store " + Store() + " --plain --nulls 8",
                         &text),
              0)
        << text;
    EXPECT_NE(text.find("VERDICT: no customer is accused: the model is not shown to derive from "
                        "this deployment"),
              std::string::npos)
        << file << "\n"
        << text;
  }
  EXPECT_LE(passed_stage_one, 1);
}

// NaN weights are an error, not "nobody accused", and no verdict is recorded.
TEST_F(InvestigationTest, NonFiniteWeightsAreAnErrorAndRecordNoVerdict) {
  const std::string file = Dir() + "/nan.pt";
  ASSERT_EQ(Python({"nan", Delivered(2), file}), 0);
  std::string out;
  EXPECT_EQ(Securemark("trace " + file + " --store " + Store() + " --json --nulls 8", &out), 1);
  EXPECT_NE(out.find("NaN or infinite"), std::string::npos) << out;
  EXPECT_EQ(Securemark("audit model " + file + " --store " + Store(), &out), 0) << out;
  EXPECT_EQ(out.find("accused nobody"), std::string::npos) << out;
  EXPECT_EQ(Securemark("store check --store " + Store(), &out), 0) << out;
}

// Without the least-norm correction (exact: false), fine-tuning alone has to carry the
// fingerprint. At the pipeline's default settings a calibrated trace still names exactly
// the customer of a single copy and both customers of a pair average (the uncalibrated
// hard-threshold detector alone names extra innocents, which calibration dismisses).
TEST(UncorrectedEmbeddingTest, FineTuningAloneStillTracesACopyAndAPair) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  const std::string dir = ::testing::TempDir() + "/uncorrected";
  fs::remove_all(dir);
  std::string out;
  ASSERT_EQ(Securemark("run " + kSource + "/pipelines/deepmarks-fmnist.yaml --plain --store " +
                           dir + "/store --set examples=2000 --set test_examples=300" +
                           " --set epochs=2 --set exact=false --set export_dir=" + dir +
                           "/delivered --set 'coalitions=[{name: a, k: 1, seed: 1}]'",
                       &out),
            0)
      << out;
  EXPECT_EQ(out.find("fingerprint MSE 0.000"), std::string::npos) << "the correction ran";
  auto copy = [&](int c) { return dir + "/delivered/customer-" + std::to_string(c) + ".pt"; };
  const std::string pair = dir + "/pair-3-8.pt";
  auto py = RunProcess(
      {"/usr/bin/python3", "-c",
       "import sys, torch\n"
       "a, b = torch.jit.load(sys.argv[1]).state_dict(), torch.jit.load(sys.argv[2]).state_dict()\n"
       "torch.save({k: (a[k] + b[k]) / 2 for k in a}, sys.argv[3])\n",
       copy(3), copy(8), pair},
      true);
  ASSERT_TRUE(py.ok() && py->exit_code == 0);
  for (const auto& [file, expected] :
       std::vector<std::pair<std::string, std::vector<int64_t>>>{{copy(5), {5}}, {pair, {3, 8}}}) {
    ASSERT_EQ(Securemark("trace " + file + " --store " + dir + "/store --json", &out,
                         /*with_stderr=*/false),
              0);
    const json verdict = json::parse(out, nullptr, false);
    ASSERT_TRUE(verdict.is_object()) << out;
    std::vector<int64_t> users;
    for (const json& a : verdict["accused"]) users.push_back(a["user"].get<int64_t>());
    std::sort(users.begin(), users.end());
    EXPECT_EQ(users, expected) << verdict.dump();
  }
}

}  // namespace
}  // namespace securemark
