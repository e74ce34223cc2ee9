#include "lineage.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "securemark/digest.h"

namespace securemark::store {
namespace {

// raw -> partition -> {shard0, shard1}; shard0 -> train -> model; {model, key} -> embed
// -> marked; and a failed attempt reading shard1.
class LineageTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::TempDir() + "/lineage_test_" +
                      testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    store_ = std::move(Store::Open(dir)).value();
    run_ = *store_->PutContext(ContextType::kRun, "run-1");
    raw_ = *store_->PutArtifact("Dataset", "raw", false, {}, "fashion-mnist");
    key_ = *store_->PutArtifact("Key", "key", true);
    int64_t part = Begin("dataset.partition", "split");
    shard0_ = *store_->StageOutput(part, "Dataset", "s0", false);
    shard1_ = *store_->StageOutput(part, "Dataset", "s1", false);
    Complete(part, {{raw_, "data"}}, {{shard0_, "shards[0]"}, {shard1_, "shards[1]"}});
    train_ = Begin("server_trainer.standalone", "train");
    model_ = *store_->StageOutput(train_, "Model", "m", false);
    Complete(train_, {{shard0_, "data"}}, {{model_, "model"}});
    embed_ = Begin("embedder.projection", "embed@3");
    marked_ = *store_->StageOutput(embed_, "Model", "m3", false);
    Complete(embed_, {{model_, "model"}, {key_, "key"}}, {{marked_, "model"}});
    failed_ = Begin("server_trainer.standalone", "train-again");
    ASSERT_TRUE(store_->FailExecution(failed_, "out of memory", {{shard1_, "data"}}).ok());
  }

  int64_t Begin(const std::string& plugin, const std::string& name) {
    NewExecution e;
    e.plugin = plugin;
    e.name = name;
    e.contexts = {run_};
    return *store_->BeginExecution(e);
  }
  void Complete(int64_t e, std::vector<EventSpec> in, std::vector<EventSpec> out) {
    ASSERT_TRUE(store_->CompleteExecution(e, in, out).ok());
  }

  std::unique_ptr<Store> store_;
  int64_t run_, raw_, key_, shard0_, shard1_, train_, model_, embed_, marked_, failed_;
};

TEST_F(LineageTest, UpstreamFollowsProducersAndTheirInputs) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, marked_}, Direction::kUpstream, 100);
  std::vector<int64_t> artifacts, executions;
  for (const auto& [id, a] : g.artifacts) artifacts.push_back(id);
  for (const auto& [id, e] : g.executions) executions.push_back(id);
  EXPECT_EQ(artifacts, (std::vector<int64_t>{raw_, key_, shard0_, model_, marked_}));
  EXPECT_EQ(executions.size(), 3u);  // partition, train, embed
  EXPECT_EQ(g.events.size(), 7u);    // raw>p p>s0 s0>t t>m m>e key>e e>marked
}

TEST_F(LineageTest, HopLimitCountsEventEdges) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, marked_}, Direction::kUpstream, 2);
  EXPECT_EQ(g.executions.size(), 1u);  // embed
  EXPECT_EQ(g.artifacts.size(), 3u);   // marked, model, key
}

TEST_F(LineageTest, DownstreamFollowsConsumersAndTheirOutputs) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, raw_}, Direction::kDownstream, 100);
  EXPECT_TRUE(g.artifacts.count(marked_));
  EXPECT_TRUE(g.artifacts.count(shard1_));
  EXPECT_FALSE(g.artifacts.count(key_));  // an input of embed, not downstream of raw
  LineageGraph both = *QueryLineage(*store_, {NodeRef::kExecution, train_}, Direction::kBoth, 100);
  EXPECT_TRUE(both.artifacts.count(raw_));
  EXPECT_TRUE(both.artifacts.count(marked_));
  EXPECT_FALSE(both.artifacts.count(shard1_));
}

TEST_F(LineageTest, TextTreeShowsEachLevel) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, marked_}, Direction::kUpstream, 100);
  std::string text = LineageToText(g);
  EXPECT_EQ(text.rfind("a" + std::to_string(marked_) + " Model", 0), 0u) << text;
  EXPECT_NE(text.find("└─ e" + std::to_string(embed_) + " embedder.projection (embed@3) COMPLETE"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Key"), std::string::npos);
  EXPECT_NE(text.find("[secret]"), std::string::npos);
  EXPECT_NE(text.find("'fashion-mnist'"), std::string::npos) << text;
}

TEST_F(LineageTest, DotHasNodesAndDirectedEdges) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, marked_}, Direction::kUpstream, 100);
  std::string dot = LineageToDot(g);
  EXPECT_EQ(dot.rfind("digraph lineage {", 0), 0u);
  EXPECT_NE(dot.find("a" + std::to_string(key_) + " -> e" + std::to_string(embed_)),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("e" + std::to_string(embed_) + " -> a" + std::to_string(marked_)),
            std::string::npos);
  EXPECT_NE(dot.find("shape=box"), std::string::npos);
}

TEST_F(LineageTest, OpenLineageRunEventsCarryParentErrorAndVersions) {
  LineageGraph g = *QueryLineage(*store_, {NodeRef::kArtifact, raw_}, Direction::kDownstream, 100);
  auto events = nlohmann::json::parse(*LineageToOpenLineage(*store_, g));
  ASSERT_EQ(events.size(), 4u);
  ContextRecord run = *store_->GetContext(run_);
  bool saw_fail = false;
  for (const auto& ev : events) {
    EXPECT_EQ(ev["schemaURL"],
              "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent");
    EXPECT_EQ(ev["run"]["runId"].get<std::string>().size(), 36u);
    EXPECT_EQ(ev["run"]["facets"]["parent"]["run"]["runId"], run.uuid);
    EXPECT_EQ(ev["job"]["namespace"], "securemark");
    EXPECT_TRUE(ev["eventTime"].get<std::string>().back() == 'Z');
    if (ev["eventType"] == "FAIL") {
      saw_fail = true;
      EXPECT_EQ(ev["run"]["facets"]["errorMessage"]["message"], "out of memory");
    }
    for (const auto& d : ev["inputs"]) {
      EXPECT_EQ(d["facets"]["version"]["datasetVersion"].get<std::string>().rfind("sha256:", 0),
                0u);
    }
  }
  EXPECT_TRUE(saw_fail);
}

TEST_F(LineageTest, ResolvesIdsAndDigestPrefixes) {
  EXPECT_EQ(ResolveNode(*store_, "a" + std::to_string(key_))->id, key_);
  // A short bare number is ambiguous (id or digest?); say which.
  auto bare = ResolveNode(*store_, std::to_string(key_));
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.status().message().find("write a" + std::to_string(key_)), std::string::npos);
  EXPECT_EQ(ResolveNode(*store_, "e" + std::to_string(embed_))->kind, NodeRef::kExecution);
  EXPECT_EQ(ResolveNode(*store_, "execution:" + std::to_string(embed_))->id, embed_);
  std::string digest = store_->GetArtifact(model_)->digest;
  EXPECT_EQ(ResolveNode(*store_, digest.substr(0, 10))->id, model_);
  EXPECT_EQ(ResolveNode(*store_, "sha256:" + digest.substr(0, 10))->id, model_);
  EXPECT_EQ(ResolveNode(*store_, "fashion-mnist")->id, raw_);
  EXPECT_EQ(ResolveNode(*store_, "a99999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveNode(*store_, digest.substr(0, 5)).status().code(),
            StatusCode::kInvalidArgument);  // bare prefixes need 6 digits
  // A digest that starts with six decimal digits is found by them, not read as an id.
  for (int i = 0;; ++i) {
    const std::string content = "digits " + std::to_string(i);
    const std::string d = Sha256Hex(content);
    if (d.find_first_not_of("0123456789") < 6) continue;
    auto a = store_->PutArtifact("Blob", content, false, {}, "digits");
    ASSERT_TRUE(a.ok());
    auto found = ResolveNode(*store_, d.substr(0, 6));
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->id, *a);
    break;
  }
  EXPECT_EQ(ResolveNode(*store_, "zz").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace securemark::store
