#include "report/run_report.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "data/image_folder.h"
#include "report/csv_table.h"
#include "report/testing/headless_browser.h"
#include "securemark/files.h"

namespace securemark::report {
namespace {

namespace fs = std::filesystem;

const char kSecret[] = "SECRET-KEY-BYTES-7f3a91";

// A run in a real store whose steps wrote what the evaluation plugins write: a training
// report with epochs, a collusion table with pruning rows, a privacy table, a PNG and a
// secret.
class RunReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/run_report_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    auto s = store::Store::Open(dir_ + "/store");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    auto pipeline = store_->PutContext(store::ContextType::kPipeline, "eval");
    auto run = store_->PutContext(store::ContextType::kRun, "eval-run-1",
                                  {{"params", std::string(R"({"epochs": 3})")}}, *pipeline);
    run_ = *run;
    Step(
        "train", "server_trainer.standalone", "report", "Json",
        R"({"test_accuracy": 0.88, "epochs": [{"epoch": 1, "test_accuracy": 0.80, "train_accuracy": 0.79},
             {"epoch": 2, "test_accuracy": 0.85, "train_accuracy": 0.86},
             {"epoch": 3, "test_accuracy": 0.88, "train_accuracy": 0.90}]})");
    std::string collusion =
        "label,detector,k,detection,false_alarm,attack,strength,test_accuracy,extraction_"
        "accuracy\n";
    for (int k = 1; k <= 4; ++k) {
      for (const char* attack : {"finetune", "prune"}) {
        collusion += std::string("cnn,hard_threshold,") + std::to_string(k) + "," +
                     (k < 4 ? "1" : "0.5") + ",0," + attack + ",0.5,0.88,0.97\n";
      }
    }
    for (double rate : {0.1, 0.3, 0.6, 0.9})
      collusion += "cnn,hard_threshold,1,1,0,prune," + std::to_string(rate) + ",0.8," +
                   std::to_string(1 - rate / 2) + "\n";
    Step("table", "report.collusion_table", "table", "Blob", collusion);
    Step("privacy", "report.privacy_table", "table", "Blob",
         "setup,test_accuracy,attack,mse,ssim,perceptual,reprint_accuracy\n"
         "\"fc, no defender\",0.8,Attack1,0.05,0.3,0.2,0.6\n"
         "\"fc, no defender\",0.8,Attack2,0.06,0.25,0.2,0.5\n"
         "\"fc, mlp defender\",0.79,Attack1,0.09,0.1,0.4,0.3\n"
         "\"fc, mlp defender\",0.79,Attack2,0.08,0.12,0.4,0.3\n");
    Step("privacy_curve", "report.privacy_table", "curve", "Blob",
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"30\">"
         "<circle cx=\"20\" cy=\"15\" r=\"4\"/></svg>\n");
    data::Image image{8, 8, 1, std::string(64, '\x80')};
    auto png = data::EncodePng(image);
    ASSERT_TRUE(png.ok());
    Step("invert", "attacker.inversion", "grid", "Blob", *png);
    // Secrets shaped like what the report copies, a CSV table and a PNG, on the ports it
    // copies them from: only their secrecy keeps them out.
    Step("secret_table", "report.collusion_table", "table", "Blob",
         "label,detector,k,detection,false_alarm\n" + std::string(kSecret) + ",x,1,1,0\n",
         /*secret=*/true);
    data::Image secret_image{8, 8, 1, std::string(64, '\x11')};
    auto secret_png = data::EncodePng(secret_image);
    ASSERT_TRUE(secret_png.ok());
    secret_png_ = *secret_png;
    Step("secret_grid", "attacker.inversion", "grid", "Blob", secret_png_, /*secret=*/true);
    Step("embed", "embedder.projection", "key", "Blob", kSecret, /*secret=*/true);
  }

  void Step(const std::string& name, const std::string& plugin, const std::string& port,
            const std::string& type, const std::string& bytes, bool secret = false) {
    store::NewExecution e = store::NewExecution::Of(plugin, name);
    e.contexts = {run_};
    auto id = store_->BeginExecution(e);
    ASSERT_TRUE(id.ok());
    auto a = store_->StageOutput(*id, type, bytes, secret);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(store_->CompleteExecution(*id, {}, {{*a, port}}).ok());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  int64_t run_ = 0;
  std::string secret_png_;
};

TEST_F(RunReportTest, DrawsEveryFigureAndChromiumLoadsEveryImage) {
  auto run = FindRun(*store_, "eval");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->name, "eval-run-1");
  auto summary = WriteRunReport(*store_, *run, dir_ + "/report");
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  // accuracy per epoch; detection and false alarm vs K; pruning; SSIM and MSE per defender
  EXPECT_EQ(summary->plots, 6);
  EXPECT_EQ(summary->tables, 2);
  EXPECT_EQ(summary->images, 2);  // the grid (PNG) and the trade-off curve (SVG)
  EXPECT_TRUE(summary->lineage);
  for (const char* file : {"index.html", "lineage.svg", "plots/accuracy-per-epoch.svg",
                           "images/privacy-curve-curve.svg", "plots/pruning-table-table-cnn.svg",
                           "plots/colluders-detection-table-table-cnn.svg",
                           "plots/accuracy-per-epoch.gp", "data/table-table.csv"}) {
    EXPECT_TRUE(fs::exists(dir_ + "/report/" + file)) << file;
  }
  // The pruning curve holds the four K = 1 pruning rates, in percent.
  auto data = ReadFile(dir_ + "/report/plots/pruning-table-table-cnn.dat");
  ASSERT_TRUE(data.ok());
  EXPECT_NE(data->find("90 0.55"), std::string::npos) << *data;

  // No secret reaches the report.
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/report")) {
    if (!entry.is_regular_file()) continue;
    auto text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(text->find(kSecret), std::string::npos) << entry.path();
    EXPECT_EQ(text->find(secret_png_), std::string::npos) << entry.path();
  }

  testing::RenderedImages page = testing::RenderInChromium(summary->index);
  ASSERT_TRUE(page.rendered) << page.dom.substr(0, 2000);
  EXPECT_EQ(page.total, 9);  // 6 plots, 2 images, the lineage
  EXPECT_EQ(page.loaded, page.total) << "broken: " << page.broken;

  // The answer comes first: the summary is the first section, above the contents and the
  // run's details, with the detection per K and the privacy bought; parameters are a table.
  auto html = ReadFile(summary->index);
  ASSERT_TRUE(html.ok());
  const size_t first_section = html->find("<h2");
  ASSERT_NE(first_section, std::string::npos);
  EXPECT_EQ(html->substr(first_section, 17), "<h2 id=\"summary\">")
      << html->substr(first_section, 60);
  EXPECT_LT(html->find("Detection / false alarm per number of colluders K"),
            html->find("<h2>Contents</h2>"));
  EXPECT_NE(html->find("8 executions: 8 complete."), std::string::npos);
  EXPECT_NE(html->find("<td>1.00 / 0.000</td>"), std::string::npos);
  EXPECT_NE(html->find("the best attack reconstructs with SSIM 0.300"), std::string::npos);
  EXPECT_NE(html->find("<td>epochs</td><td>3</td>"), std::string::npos);
  // Integer axes where the data are integers (epochs, K).
  auto script = ReadFile(dir_ + "/report/plots/accuracy-per-epoch.gp");
  ASSERT_TRUE(script.ok());
  EXPECT_NE(script->find("set xtics 1"), std::string::npos) << *script;

  // On a phone-sized screen, offline: every picture loads and the page does not scroll
  // sideways (wide tables scroll inside their own box; figures shrink).
  testing::RenderedImages phone = testing::RenderInChromium(summary->index, 400);
  ASSERT_TRUE(phone.rendered);
  EXPECT_EQ(phone.loaded, phone.total) << "broken: " << phone.broken;
  EXPECT_GT(phone.page_width, 0);
  EXPECT_LE(phone.page_width, 400);
}

TEST_F(RunReportTest, UnknownRunAndUnwritableOutputAreClearErrors) {
  auto missing = FindRun(*store_, "no-such-run");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-run"), std::string::npos);
  EXPECT_NE(missing.status().message().find("audit runs"), std::string::npos);

  ASSERT_TRUE(WriteFileAtomic(dir_ + "/a-file", "x").ok());
  auto run = FindRun(*store_, "");
  ASSERT_TRUE(run.ok());
  auto summary = WriteRunReport(*store_, *run, dir_ + "/a-file/report");
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("a-file/report"), std::string::npos)
      << summary.status().message();
}

TEST(CsvTableTest, ReadsQuotedFieldsAndRejectsWhatIsNotATable) {
  auto t = ParseCsv("a,b\n\"x, y\",2\n\"he said \"\"hi\"\"\",3\n");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][0], "x, y");
  EXPECT_EQ(t->rows[1][0], "he said \"hi\"");
  EXPECT_EQ(t->Number(1, 1), 3.0);
  EXPECT_FALSE(t->Number(0, 0).has_value());
  EXPECT_FALSE(ParseCsv("a,b\n1,2,3\n").has_value());                 // ragged
  EXPECT_FALSE(ParseCsv(std::string("a,b\n\0,1\n", 8)).has_value());  // binary
  EXPECT_FALSE(ParseCsv("just one column\n").has_value());
}

}  // namespace
}  // namespace securemark::report
