// Graph sources, community codes and their evaluation, run as plugins.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exec/local_context.h"
#include "securemark/files.h"

namespace securemark {
namespace {

class CrcPluginsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(
        PluginCatalog::Discover({std::string(SECUREMARK_BUILD_DIR) + "/plugins"}));
  }
  static const LoadedPlugin& Plugin(const std::string& name) { return **catalog_->Find(name); }
  static std::string Output(const std::vector<OutputValue>& outs, const std::string& port) {
    const OutputValue* o = FindOutput(outs, port);
    if (o == nullptr) ADD_FAILURE() << "no output " << port;
    return o != nullptr ? o->value.bytes : "";
  }
  static PluginCatalog* catalog_;
};
PluginCatalog* CrcPluginsTest::catalog_ = nullptr;

TEST_F(CrcPluginsTest, CommunityCodesAreEvaluatedBesideRandomCodes) {
  auto graph = RunNode(Plugin("dataset.synthetic_graph"),
                       {{"model", std::string("sbm")},
                        {"nodes", int64_t{400}},
                        {"blocks", int64_t{20}},
                        {"p_in", 0.3},
                        {"p_out", 0.01},
                        {"seed", int64_t{11}}},
                       {});
  ASSERT_TRUE(graph.ok()) << graph.status();
  const std::string g = Output(*graph, "graph");
  auto evaluate = [&](const std::string& plugin) {
    InputValues in;
    in["graph"].push_back({"Graph", g, false});
    auto codes = RunNode(Plugin(plugin), {{"bits", int64_t{30}}}, std::move(in));
    EXPECT_TRUE(codes.ok()) << codes.status();
    InputValues eval_in;
    eval_in["graph"].push_back({"Graph", g, false});
    eval_in["codes"].push_back({"Tensors/CommunityCodes", Output(*codes, "codes"), false});
    auto report =
        RunNode(Plugin("evaluate.community_codes"),
                {{"trials", int64_t{100}}, {"coalition_sizes", std::vector<int64_t>{1, 3}}},
                std::move(eval_in));
    EXPECT_TRUE(report.ok()) << report.status();
    return nlohmann::json::parse(Output(*report, "report"));
  };
  auto nph = evaluate("crc.nph");
  auto random = evaluate("crc.random");
  auto spectral = evaluate("crc.spectral");
  // The shipped generator ranks same-community pairs first; random codes at chance.
  EXPECT_GT(spectral["ranking"]["auc"].get<double>(), 0.9) << spectral.dump();
  EXPECT_NEAR(random["ranking"]["auc"].get<double>(), 0.5, 0.05);
  EXPECT_GT(spectral["ranking"]["mean_average_precision"].get<double>(),
            3 * spectral["ranking"]["base_rate"].get<double>());
  // Precision and recall reach a quarter of the bits (30 / 4 = 7).
  EXPECT_EQ(spectral["preservation"].size(), 8u);
  for (const auto& row : spectral["screening"]) {
    EXPECT_GT(row["community_first"].get<double>(),
              row["community_first_random"].get<double>() + 0.2)
        << row.dump();
  }
  EXPECT_GT(nph["preservation"][3]["recall"].get<double>(),
            10 * random["preservation"][3]["recall"].get<double>() + 0.05);
  EXPECT_GT(nph["screening"][1]["community_first"].get<double>(),
            random["screening"][1]["community_first"].get<double>());
}

TEST_F(CrcPluginsTest, SnapGraphReportsMalformedLines) {
  const std::string path = testing::TempDir() + "/crc_bad_edges.txt";
  ASSERT_TRUE(WriteFileAtomic(path, "1 2\n2 3 4 5\n").ok());
  auto r = RunNode(Plugin("dataset.snap_graph"), {{"edges", path}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("crc_bad_edges.txt:2:"), std::string::npos) << r.status();
}

TEST_F(CrcPluginsTest, EgoFacebookGetsLouvainCommunities) {
  const std::string path =
      std::string(SECUREMARK_SOURCE_DIR) + "/../shared/data/ego-facebook/facebook_combined.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no ego-Facebook data beside the project";
  auto r = RunNode(Plugin("dataset.snap_graph"), {{"edges", path}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto summary = nlohmann::json::parse(Output(*r, "summary"));
  EXPECT_EQ(summary["nodes"], 4039);
  EXPECT_EQ(summary["edges"], 88234);
  EXPECT_GT(summary["modularity"].get<double>(), 0.8);
}

}  // namespace
}  // namespace securemark
