#include "graph/graph.h"

#include <filesystem>

#include <gtest/gtest.h>

#include <zlib.h>

#include "data/idx_reader.h"
#include "graph/generators.h"
#include "securemark/files.h"

namespace securemark::graph {
namespace {

std::string Temp(const std::string& name) {
  std::string dir = testing::TempDir() + "/graph_test";
  std::filesystem::create_directories(dir);
  return dir + "/" + name;
}

TEST(GraphTest, ReadsSnapEdgeListsRelabellingNodes) {
  ASSERT_TRUE(
      WriteFileAtomic(Temp("g.txt"), "# a comment\n10 20\n20\t30\n\n10 20\n30 10\n40 40\n").ok());
  StatusOr<Graph> g = ReadSnapEdgeList(Temp("g.txt"));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->nodes(), 4);
  EXPECT_EQ(g->edges(), 3);  // repeated edge and self loop dropped
  EXPECT_EQ(g->name(0), "10");
  EXPECT_TRUE(g->HasEdge(0, 2));
  EXPECT_EQ(g->degree(3), 0);
  StatusOr<Graph> back = Graph::Decode(g->Encode());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->names(), g->names());
  EXPECT_TRUE(back->HasEdge(1, 2));
}

TEST(GraphTest, MalformedLinesNameFileAndLine) {
  ASSERT_TRUE(WriteFileAtomic(Temp("bad.txt"), "1 2\n# fine\n3\n").ok());
  StatusOr<Graph> g = ReadSnapEdgeList(Temp("bad.txt"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("bad.txt:3: expected two node ids, got '3'"),
            std::string::npos)
      << g.status();
  EXPECT_EQ(ReadSnapEdgeList(Temp("missing.txt")).status().code(), StatusCode::kNotFound);
}

TEST(GraphTest, ReadsGzipAndBothCommunityFormats) {
  const std::string text = "# gzipped\na b\nb c\nc d\n";
  gzFile gz = gzopen(Temp("edges.txt.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  Graph g = *ReadSnapEdgeList(Temp("edges.txt.gz"));
  EXPECT_EQ(g.nodes(), 4);
  EXPECT_EQ(g.edges(), 3);
  ASSERT_TRUE(WriteFileAtomic(Temp("lines.txt"), "a b\nc d\n").ok());
  ASSERT_TRUE(ReadCommunities(Temp("lines.txt"), "lines", g).ok());
  EXPECT_EQ(g.communities(), (std::vector<int64_t>{0, 0, 1, 1}));
  ASSERT_TRUE(WriteFileAtomic(Temp("labels.txt"), "a x\nb y\nc x\n").ok());
  ASSERT_TRUE(ReadCommunities(Temp("labels.txt"), "auto", g).ok());
  EXPECT_EQ(g.communities(), (std::vector<int64_t>{0, 1, 0, -1}));
  ASSERT_TRUE(WriteFileAtomic(Temp("unknown.txt"), "a zz\n").ok());
  Status bad = ReadCommunities(Temp("unknown.txt"), "lines", g);
  EXPECT_NE(bad.message().find("unknown.txt:1: node 'zz' is not in the graph"), std::string::npos)
      << bad;
}

TEST(GraphTest, StochasticBlockModelHasDenseBlocks) {
  Graph g = StochasticBlockModel({100, 100, 100}, 0.2, 0.005, 7);
  EXPECT_EQ(g.nodes(), 300);
  int64_t inside = 0, across = 0;
  for (int64_t v = 0; v < g.nodes(); ++v) {
    for (const int32_t* u = g.begin(v); u != g.end(v); ++u)
      (g.communities()[v] == g.communities()[*u] ? inside : across)++;
  }
  EXPECT_NEAR(inside / 2.0, 3 * 100 * 99 / 2 * 0.2, 150);
  EXPECT_NEAR(across / 2.0, 3 * 100 * 100 * 0.005, 40);
}

TEST(GraphTest, LfrGraphMixesAsAsked) {
  LfrOptions o;
  o.nodes = 2000;
  o.mixing = 0.2;
  Graph g = LfrGraph(o);
  int64_t inside = 0, total = 0;
  for (int64_t v = 0; v < g.nodes(); ++v) {
    for (const int32_t* u = g.begin(v); u != g.end(v); ++u) {
      inside += g.communities()[v] == g.communities()[*u];
      ++total;
    }
  }
  EXPECT_NEAR(1.0 - static_cast<double>(inside) / total, 0.2, 0.05);
}

TEST(GraphTest, LouvainRecoversPlantedCommunities) {
  Graph g = StochasticBlockModel({60, 60, 60, 60}, 0.3, 0.01, 3);
  std::vector<int64_t> found = LouvainCommunities(g, 1);
  // Same partition up to renaming: pairs agree.
  int64_t disagree = 0;
  for (int64_t a = 0; a < g.nodes(); ++a) {
    for (int64_t b = a + 1; b < g.nodes(); ++b) {
      disagree += (found[a] == found[b]) != (g.communities()[a] == g.communities()[b]);
    }
  }
  EXPECT_LT(disagree, 100);
  EXPECT_GT(Modularity(g, found), 0.6);
}

}  // namespace
}  // namespace securemark::graph
