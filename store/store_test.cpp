#include "store.h"

#include <sys/stat.h>
#include <filesystem>

#include <gtest/gtest.h>

#include "securemark/files.h"
#include "sqlite.h"

namespace securemark::store {
namespace {
namespace fs = std::filesystem;

class StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/store_test_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    auto s = Store::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
  }

  // An execution that read `inputs` and wrote one Blob output with `content`.
  int64_t Produce(const std::string& content, std::vector<int64_t> inputs = {},
                  const std::string& fingerprint = "") {
    NewExecution e;
    e.plugin = "testing.produce";
    e.fingerprint = fingerprint;
    int64_t exec = *store_->BeginExecution(e);
    int64_t out = *store_->StageOutput(exec, "Blob", content, false);
    std::vector<EventSpec> in;
    for (int64_t a : inputs) in.push_back({a, "in"});
    EXPECT_TRUE(store_->CompleteExecution(exec, in, {{out, "out"}}).ok());
    return out;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ExecutionLifecycleCommitsOutputsAndEvents) {
  int64_t ctx = *store_->PutContext(ContextType::kRun, "run-1");
  NewExecution e = NewExecution::Of("dataset.idx", "read");
  e.plugin_version = "1.0.0";
  e.params_json = "{\"limit\":3}";
  e.fingerprint = "fp1";
  e.contexts = {ctx};
  e.properties = {{"epochs", int64_t{2}}};
  int64_t exec = *store_->BeginExecution(e);
  EXPECT_EQ(store_->GetExecution(exec)->state, ExecutionState::kRunning);
  int64_t out = *store_->StageOutput(exec, "Dataset", "bytes", false, {{"rows", int64_t{3}}});
  EXPECT_EQ(store_->GetArtifact(out)->state, ArtifactState::kPending);
  ASSERT_TRUE(store_->CompleteExecution(exec, {}, {{out, "dataset"}}).ok());

  Artifact a = *store_->GetArtifact(out);
  EXPECT_EQ(a.state, ArtifactState::kLive);
  EXPECT_EQ(a.type, "Dataset");
  EXPECT_EQ(a.uri, "sha256:" + a.digest);
  EXPECT_EQ(std::get<int64_t>(a.properties.at("rows")), 3);
  EXPECT_EQ(*store_->ReadArtifact(out), "bytes");
  Execution x = *store_->GetExecution(exec);
  EXPECT_EQ(x.state, ExecutionState::kComplete);
  EXPECT_EQ(x.params_json, "{\"limit\":3}");
  EXPECT_EQ(std::get<int64_t>(x.properties.at("epochs")), 2);
  ASSERT_EQ(store_->EventsOfExecution(exec)->size(), 1u);
  EXPECT_EQ((*store_->EventsOfExecution(exec))[0].path, "dataset");
  ASSERT_EQ(store_->ExecutionsInContext(ctx)->size(), 1u);
  EXPECT_EQ((*store_->ContextsOfExecution(exec))[0].name, "run-1");
  // Completing twice is refused.
  EXPECT_EQ(store_->CompleteExecution(exec, {}, {}).code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, FailureAbandonsStagedOutputs) {
  int64_t exec = *store_->BeginExecution(NewExecution::Of("testing.fail"));
  int64_t out = *store_->StageOutput(exec, "Blob", "half", false);
  ASSERT_TRUE(store_->FailExecution(exec, "plugin said no").ok());
  EXPECT_EQ(store_->GetArtifact(out)->state, ArtifactState::kAbandoned);
  Execution x = *store_->GetExecution(exec);
  EXPECT_EQ(x.state, ExecutionState::kFailed);
  EXPECT_EQ(x.error, "plugin said no");
  EXPECT_FALSE(store_->ReadArtifact(out).ok());
}

TEST_F(StoreTest, InputsMustBeLiveAndOutputsStagedByTheExecution) {
  int64_t a = Produce("x");
  int64_t exec = *store_->BeginExecution(NewExecution::Of("testing.x"));
  int64_t other = *store_->BeginExecution(NewExecution::Of("testing.y"));
  int64_t staged_elsewhere = *store_->StageOutput(other, "Blob", "y", false);
  EXPECT_EQ(store_->CompleteExecution(exec, {}, {{staged_elsewhere, "out"}}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CompleteExecution(exec, {{staged_elsewhere, "in"}}, {}).code(),
            StatusCode::kFailedPrecondition);
  // The failed transaction left nothing behind.
  EXPECT_EQ(store_->GetExecution(exec)->state, ExecutionState::kRunning);
  EXPECT_TRUE(store_->EventsOfExecution(exec)->empty());
  EXPECT_TRUE(store_->CompleteExecution(exec, {{a, "in"}}, {}).ok());
}

TEST_F(StoreTest, CachedExecutionPointsAtTheSourceOutputs) {
  int64_t input = Produce("in");
  int64_t out = Produce("out", {input}, "fp-42");
  auto found = store_->FindCachedExecution("fp-42");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE(store_->FindCachedExecution("fp-other")->has_value());
  NewExecution again = NewExecution::Of("testing.produce", "again");
  again.fingerprint = "fp-42";
  int64_t cached = *store_->RecordCachedExecution(again, (*found)->id, {{input, "in"}});
  Execution c = *store_->GetExecution(cached);
  EXPECT_EQ(c.state, ExecutionState::kCached);
  EXPECT_EQ(c.cached_from, (*found)->id);
  auto events = *store_->EventsOfExecution(cached);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].artifact_id, out);
  // The newest COMPLETE one is returned, never a CACHED one.
  EXPECT_EQ((*store_->FindCachedExecution("fp-42"))->id, (*found)->id);
}

// The metadata names customers, deliveries and accusations: a new store is private.
TEST_F(StoreTest, ANewStoreIsPrivateToItsOwnerAndItsKeyedDigestsAreStable) {
  ASSERT_TRUE(store_->PutArtifact("Blob", "a write, so that the WAL exists", false).ok());
  auto mode = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode(dir_), 0700u);
  EXPECT_EQ(mode(dir_ + "/metadata.sqlite"), 0600u);
  EXPECT_EQ(mode(dir_ + "/metadata.sqlite-wal"), 0600u);

  auto a = store_->KeyedDigest("{\"seed\":2}");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(mode(dir_ + "/store.key"), 0600u);
  EXPECT_EQ(*store_->KeyedDigest("{\"seed\":2}"), *a);
  EXPECT_NE(*store_->KeyedDigest("{\"seed\":3}"), *a);
  // Not a plain digest: without the store's key a guess cannot be checked against it.
  EXPECT_EQ(a->find(Sha256Hex("{\"seed\":2}")), std::string::npos);
  // Another store keys differently.
  auto other = Store::Open(dir_ + "-other");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*(*other)->KeyedDigest("{\"seed\":2}"), *a);
  fs::remove_all(dir_ + "-other");
  // A key that others can read is not used.
  ASSERT_EQ(chmod((dir_ + "/store.key").c_str(), 0644), 0);
  auto exposed = store_->KeyedDigest("{\"seed\":2}");
  ASSERT_FALSE(exposed.ok());
  EXPECT_NE(exposed.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(StoreTest, IdenticalContentIsStoredOnceAndSecretsAre0600) {
  int64_t a = *store_->PutArtifact("Blob", "same", false);
  int64_t b = *store_->PutArtifact("Blob", "same", false);
  EXPECT_NE(a, b);
  EXPECT_EQ(store_->GetArtifact(a)->digest, store_->GetArtifact(b)->digest);
  EXPECT_EQ(store_->blobs().ListDigests().size(), 1u);
  int64_t key = *store_->PutArtifact("Key", "secret key bytes", true);
  struct stat st {};
  ASSERT_EQ(stat(store_->blobs().PathOf(store_->GetArtifact(key)->digest).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(store_->GetArtifact(key)->secret);
  EXPECT_TRUE(store_->blobs().ListTempFiles().empty());
}

TEST_F(StoreTest, ASecretBlobReadableByOthersIsRefusedAndReported) {
  int64_t key = *store_->PutArtifact("Key", "secret key bytes", true);
  const std::string path = store_->blobs().PathOf(store_->GetArtifact(key)->digest);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  StatusOr<std::string> read = store_->ReadArtifact(key);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status().message();
  EXPECT_NE(read.status().message().find("mode 0644"), std::string::npos);
  auto problems = store_->Check();
  ASSERT_TRUE(problems.ok());
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].find("readable by others"), std::string::npos);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(*store_->ReadArtifact(key), "secret key bytes");
  EXPECT_TRUE(store_->Check()->empty());
}

TEST_F(StoreTest, DigestPrefixLookup) {
  int64_t a = *store_->PutArtifact("Blob", "alpha", false);
  std::string digest = store_->GetArtifact(a)->digest;
  auto found = store_->FindArtifactsByDigestPrefix(digest.substr(0, 6));
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, a);
  EXPECT_TRUE(store_->FindArtifactsByDigestPrefix("ffffffffff")->empty() ||
              digest.rfind("ffffffffff", 0) == 0);
  EXPECT_FALSE(store_->FindArtifactsByDigestPrefix("xyz").ok());
}

TEST_F(StoreTest, ContextsAreGetOrCreateWithParents) {
  int64_t pipeline = *store_->PutContext(ContextType::kPipeline, "quickstart");
  int64_t run =
      *store_->PutContext(ContextType::kRun, "run-7", {{"user", std::string("ana")}}, pipeline);
  EXPECT_EQ(*store_->PutContext(ContextType::kRun, "run-7"), run);
  ContextRecord r = *store_->GetContext(run);
  EXPECT_EQ(r.parents, std::vector<int64_t>{pipeline});
  EXPECT_EQ(std::get<std::string>(r.properties.at("user")), "ana");
  EXPECT_EQ((*store_->FindContext(ContextType::kRun, "run-7"))->id, run);
  EXPECT_FALSE(store_->FindContext(ContextType::kRun, "nope")->has_value());
}

TEST_F(StoreTest, ReopeningKeepsEverything) {
  int64_t a = Produce("persisted");
  store_.reset();
  auto again = Store::Open(dir_, /*create=*/false);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->ReadArtifact(a), "persisted");
}

TEST_F(StoreTest, NewerSchemaIsRefusedWithAClearMessage) {
  store_.reset();
  {
    auto db = Database::Open(dir_ + "/metadata.sqlite", false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_version VALUES (99)").ok());
  }
  auto s = Store::Open(dir_, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("schema version 99"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("use a newer securemark"), std::string::npos);
}

TEST_F(StoreTest, BadLocationsAreRefused) {
  EXPECT_EQ(Store::Open(dir_ + "/missing", false).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/file", "x").ok());
  EXPECT_EQ(Store::Open(dir_ + "/file").status().code(), StatusCode::kInvalidArgument);
  fs::create_directories(dir_ + "/busy");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/busy/thesis.tex", "x").ok());
  EXPECT_EQ(Store::Open(dir_ + "/busy").status().code(), StatusCode::kFailedPrecondition);
  // A file that is not a database, where the database should be.
  fs::create_directories(dir_ + "/garbage");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/garbage/metadata.sqlite", std::string(4096, 'z')).ok());
  auto garbage = Store::Open(dir_ + "/garbage");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("garbage/metadata.sqlite"), std::string::npos)
      << garbage.status();
  // And it was left as it was.
  EXPECT_EQ(*ReadFile(dir_ + "/garbage/metadata.sqlite"), std::string(4096, 'z'));
}

TEST_F(StoreTest, CheckFindsMissingAndCorruptBlobs) {
  int64_t a = Produce("first");
  int64_t b = Produce("second");
  EXPECT_TRUE(store_->Check()->empty());
  fs::remove(store_->blobs().PathOf(store_->GetArtifact(a)->digest));
  ASSERT_TRUE(
      WriteFileAtomic(store_->blobs().PathOf(store_->GetArtifact(b)->digest), "tampered").ok());
  std::vector<std::string> problems = *store_->Check();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("artifact " + std::to_string(a)), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("missing"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("does not match its digest"), std::string::npos) << problems[1];
}

TEST_F(StoreTest, GcRemovesOnlyUnneededBlobsAndStrayTempFiles) {
  int64_t kept = Produce("kept");
  int64_t exec = *store_->BeginExecution(NewExecution::Of("testing.fail"));
  (void)*store_->StageOutput(exec, "Blob", "abandoned content", false);
  ASSERT_TRUE(store_->FailExecution(exec, "no").ok());
  ASSERT_TRUE(WriteFileAtomic(store_->dir() + "/tmp/blob-stray1", "12345").ok());
  GcReport report = *store_->CollectGarbage();
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.temp_files_removed, 1);
  EXPECT_EQ(report.bytes_freed, static_cast<int64_t>(std::string("abandoned content").size() + 5));
  EXPECT_EQ(*store_->ReadArtifact(kept), "kept");
  EXPECT_TRUE(store_->Check()->empty());
}

TEST_F(StoreTest, RecoveryFailsExecutionsWhoseProcessIsGone) {
  int64_t exec = *store_->BeginExecution(NewExecution::Of("testing.orphan"));
  int64_t out = *store_->StageOutput(exec, "Blob", "orphan", false);
  // Pretend a process that no longer exists owned it.
  auto s = store_->db().Prepare("UPDATE executions SET owner=? WHERE id=?");
  ASSERT_TRUE(s.ok());
  std::string owner = ProcessOwner();
  owner = owner.substr(0, owner.rfind(':')) + ":999999";
  ASSERT_TRUE(s->Bind(1, owner).Bind(2, exec).Run().ok());
  int64_t live =
      *store_->BeginExecution(NewExecution::Of("testing.alive"));  // owned by this process
  EXPECT_EQ(*store_->RecoverInterrupted(), 1);
  EXPECT_EQ(store_->GetExecution(exec)->state, ExecutionState::kFailed);
  EXPECT_NE(store_->GetExecution(exec)->error.find("interrupted"), std::string::npos);
  EXPECT_EQ(store_->GetArtifact(out)->state, ArtifactState::kAbandoned);
  EXPECT_EQ(store_->GetExecution(live)->state, ExecutionState::kRunning);
}

}  // namespace
}  // namespace securemark::store
