// The securemark store: an ML-Metadata-shaped SQLite database (artifacts, executions,
// events, contexts) plus content-addressed blobs, in one directory:
//   <dir>/metadata.sqlite   <dir>/blobs/   <dir>/tmp/
// Several processes may use one store at once (WAL, busy timeout, retries). One Store
// object belongs to one thread.
//
// Writing an execution:
//   id = BeginExecution(...)                  RUNNING
//   a  = StageOutput(id, "Dataset", bytes)    PENDING artifact; blob written and fsynced
//   CompleteExecution(id, inputs, outputs)    one transaction: events, artifacts LIVE,
//                                             execution COMPLETE
// or FailExecution(id, error), which abandons the staged outputs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "blob_store.h"
#include "securemark/status.h"

namespace securemark::store {

class Database;

enum class ArtifactState { kPending, kLive, kAbandoned };
enum class ExecutionState { kNew, kRunning, kComplete, kFailed, kCached, kCanceled };
enum class EventType { kInput, kOutput };
enum class ContextType { kPipeline, kRun, kForeach, kParty };

std::string_view Name(ArtifactState state);
std::string_view Name(ExecutionState state);
std::string_view Name(EventType type);
std::string_view Name(ContextType type);

using PropertyValue = std::variant<int64_t, double, std::string>;
using Properties = std::map<std::string, PropertyValue>;

struct Artifact {
  int64_t id = 0;
  std::string type;
  std::string uri;     // "sha256:<digest>"
  std::string digest;  // hex
  int64_t size = 0;
  ArtifactState state = ArtifactState::kPending;
  bool secret = false;
  std::string name;
  Properties properties;
  int64_t create_time_ms = 0;
};

struct Execution {
  int64_t id = 0;
  std::string uuid;
  std::string plugin;  // the execution type
  std::string name;    // step instance, e.g. "embed@3"
  std::string plugin_version;
  std::string params_json = "{}";
  std::string fingerprint;
  ExecutionState state = ExecutionState::kNew;
  std::optional<int64_t> cached_from;
  std::string owner;  // host:pid of the process running it
  int64_t create_time_ms = 0;
  std::optional<int64_t> start_time_ms;
  std::optional<int64_t> end_time_ms;
  std::string error;
  Properties properties;
};

struct Event {
  int64_t artifact_id = 0;
  int64_t execution_id = 0;
  EventType type = EventType::kInput;
  std::string path;  // port, e.g. "shards[3]"
  int64_t time_ms = 0;
};

struct ContextRecord {
  int64_t id = 0;
  std::string uuid;
  ContextType type = ContextType::kRun;
  std::string name;
  Properties properties;
  std::vector<int64_t> parents;
  int64_t create_time_ms = 0;
};

// An artifact an execution read or wrote, and the port it came through.
struct EventSpec {
  int64_t artifact_id;
  std::string path;
};

struct NewExecution {
  static NewExecution Of(std::string plugin, std::string name = "") {
    NewExecution e;
    e.plugin = std::move(plugin);
    e.name = std::move(name);
    return e;
  }
  std::string plugin;
  std::string name;
  std::string plugin_version;
  std::string params_json = "{}";
  std::string fingerprint;
  std::vector<int64_t> contexts;  // associations
  Properties properties;
};

struct GcReport {
  int64_t blobs_removed = 0;
  int64_t temp_files_removed = 0;
  int64_t bytes_freed = 0;
  int64_t artifacts_abandoned = 0;  // stale PENDING artifacts found while collecting
};

class Store {
 public:
  // Opens the store in `dir`, creating it when `create` (and the directory is missing or
  // empty). Applies migrations; refuses a store written by a newer securemark.
  // A new store's directory is 0700 and its database 0600: the metadata names customers,
  // deliveries and accusations, which are the vendor's business alone.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir, bool create = true);
  // Opens an existing store for reading only (a read-only file system, someone else's
  // files); it must be at this securemark's schema version. Writing through it fails.
  static StatusOr<std::unique_ptr<Store>> OpenReadOnly(const std::string& dir);
  ~Store();

  const std::string& dir() const { return dir_; }
  BlobStore& blobs() { return blobs_; }
  Database& db() { return *db_; }

  // ---- contexts: get-or-create by (type, name)
  StatusOr<int64_t> PutContext(ContextType type, const std::string& name,
                               const Properties& properties = {},
                               std::optional<int64_t> parent = std::nullopt);
  StatusOr<ContextRecord> GetContext(int64_t id);
  StatusOr<std::optional<ContextRecord>> FindContext(ContextType type, const std::string& name);
  Status Attribute(int64_t context_id, int64_t artifact_id);

  // ---- writing executions
  StatusOr<int64_t> BeginExecution(const NewExecution& execution);
  // Adds (or replaces) properties of an execution: what is known only once it ran, such
  // as the hosts a multi-party step was given.
  Status AnnotateExecution(int64_t execution_id, const Properties& properties);
  StatusOr<int64_t> StageOutput(int64_t execution_id, const std::string& type,
                                std::string_view bytes, bool secret,
                                const Properties& properties = {}, const std::string& name = "");
  Status CompleteExecution(int64_t execution_id, const std::vector<EventSpec>& inputs,
                           const std::vector<EventSpec>& outputs);
  // Records what the execution had read (so lineage shows failed attempts too), marks it
  // FAILED (or CANCELED) with the error and abandons its staged outputs; one transaction.
  Status FailExecution(int64_t execution_id, const std::string& error,
                       const std::vector<EventSpec>& inputs = {},
                       ExecutionState state = ExecutionState::kFailed);
  // Records that `execution` was satisfied by the COMPLETE execution `source`: a CACHED
  // execution whose events point at the same inputs and outputs.
  StatusOr<int64_t> RecordCachedExecution(const NewExecution& execution, int64_t source,
                                          const std::vector<EventSpec>& inputs);
  // A LIVE artifact with no producer (an imported file, a key made outside a pipeline).
  StatusOr<int64_t> PutArtifact(const std::string& type, std::string_view bytes, bool secret,
                                const Properties& properties = {}, const std::string& name = "");

  // ---- reading
  StatusOr<Artifact> GetArtifact(int64_t id);
  StatusOr<Execution> GetExecution(int64_t id);
  StatusOr<std::vector<Artifact>> FindArtifactsByDigestPrefix(const std::string& prefix);
  // Artifacts with this name, newest first.
  StatusOr<std::vector<Artifact>> FindArtifactsByName(const std::string& name);
  // Artifacts carrying the string property (a plugin's output label), newest first.
  StatusOr<std::vector<Artifact>> FindArtifactsWithLabel(const std::string& label,
                                                         const std::string& value);
  StatusOr<std::vector<ContextRecord>> ListContexts(ContextType type);  // newest first
  StatusOr<std::string> ReadArtifact(int64_t id);  // verified against the digest
  StatusOr<std::vector<Event>> EventsOfExecution(int64_t execution_id);
  StatusOr<std::vector<Event>> EventsOfArtifact(int64_t artifact_id);
  StatusOr<std::vector<Execution>> ExecutionsInContext(int64_t context_id);
  StatusOr<std::vector<ContextRecord>> ContextsOfExecution(int64_t execution_id);
  // The newest COMPLETE execution with this fingerprint, if any.
  StatusOr<std::optional<Execution>> FindCachedExecution(const std::string& fingerprint);

  // HMAC-SHA256 of `text` under the store's own secret key (made on first use): a digest
  // of a secret that the metadata can show without letting a guess be checked.
  StatusOr<std::string> KeyedDigest(std::string_view text);

  // ---- maintenance
  // Fails RUNNING executions whose owning process on this host is gone and abandons their
  // PENDING outputs. Returns the number of executions recovered.
  StatusOr<int64_t> RecoverInterrupted();
  // Removes blobs no LIVE or PENDING artifact needs and stray temp files.
  StatusOr<GcReport> CollectGarbage();
  // Database integrity, and every LIVE artifact's blob present with the right digest.
  // Returns the problems found (empty = healthy).
  StatusOr<std::vector<std::string>> Check();

 private:
  Store(std::string dir, std::unique_ptr<Database> db);
  StatusOr<int64_t> TypeId(std::string_view kind, const std::string& name);
  Status PutProperties(std::string_view table, std::string_view key, int64_t id,
                       const Properties& properties);
  StatusOr<Properties> GetProperties(std::string_view table, std::string_view key, int64_t id);
  StatusOr<std::vector<Event>> Events(std::string_view column, int64_t id);
  StatusOr<int64_t> InsertArtifact(const std::string& type, const std::string& digest, int64_t size,
                                   bool secret, const std::string& name, ArtifactState state,
                                   std::optional<int64_t> pending_execution,
                                   const Properties& properties);
  StatusOr<int64_t> InsertExecution(const NewExecution& execution, ExecutionState state,
                                    std::optional<int64_t> cached_from);
  Status InsertEvents(int64_t execution_id, EventType type, const std::vector<EventSpec>& events);

  std::string dir_;
  std::unique_ptr<Database> db_;
  BlobStore blobs_;
  std::map<std::string, int64_t> type_ids_;
};

int64_t NowMs();
std::string NewUuid();
// "host:pid" of this process.
std::string ProcessOwner();

}  // namespace securemark::store
