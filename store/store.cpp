#include "store.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <random>

#include "migrations.h"
#include "sqlite.h"
#include "store_rows.h"

namespace securemark::store {
namespace fs = std::filesystem;

using namespace internal;

std::string_view Name(ArtifactState state) { return NameOf(state, kArtifactStates); }
std::string_view Name(ExecutionState state) { return NameOf(state, kExecutionStates); }
std::string_view Name(EventType type) { return NameOf(type, kEventTypes); }
std::string_view Name(ContextType type) { return NameOf(type, kContextTypes); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewUuid() {
  std::random_device rd;
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string ProcessOwner() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

Store::Store(std::string dir, std::unique_ptr<Database> db)
    : dir_(std::move(dir)), db_(std::move(db)), blobs_(dir_) {}

Store::~Store() = default;

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, bool create) {
  std::error_code ec;
  const fs::path db_path = fs::path(dir) / "metadata.sqlite";
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return InvalidArgumentError(dir + " is a file, not a securemark store directory");
  }
  if (!fs::exists(db_path, ec)) {
    if (!create) return NotFoundError("no securemark store at " + dir);
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
      return FailedPreconditionError(dir + " is a non-empty directory without " +
                                     db_path.filename().string() +
                                     "; refusing to turn it into a store");
    }
    fs::create_directories(dir, ec);
    if (ec) return PermissionDeniedError(dir + ": cannot create: " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, ec);
    // SQLite gives the WAL and its index the database file's mode.
    const int fd = ::open(db_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return PermissionDeniedError(db_path.string() + ": cannot create");
    ::close(fd);
  }
  if (::access(dir.c_str(), W_OK) != 0 || ::access(db_path.c_str(), W_OK) != 0) {
    return PermissionDeniedError(dir +
                                 " is read-only here: commands that change a store (run, "
                                 "trace, gc) cannot use it; show, lineage, audit and report can");
  }
  SM_ASSIGN_OR_RETURN(auto db, Database::Open(db_path.string(), create));
  SM_RETURN_IF_ERROR(Migrate(*db));
  std::unique_ptr<Store> store(new Store(dir, std::move(db)));
  SM_RETURN_IF_ERROR(store->blobs_.Init());
  return store;
}

StatusOr<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& dir) {
  std::error_code ec;
  const fs::path db_path = fs::path(dir) / "metadata.sqlite";
  if (!fs::is_regular_file(db_path, ec)) return NotFoundError("no securemark store at " + dir);
  SM_ASSIGN_OR_RETURN(auto db, Database::OpenReadOnly(db_path.string()));
  SM_ASSIGN_OR_RETURN(Statement get, db->Prepare("SELECT max(version) FROM schema_version"));
  SM_ASSIGN_OR_RETURN(bool row, get.Step());
  const int version = row && !get.IsNull(0) ? static_cast<int>(get.Int(0)) : 0;
  if (version != LatestSchemaVersion()) {
    return FailedPreconditionError(
        dir + " has schema version " + std::to_string(version) + " and this securemark reads " +
        std::to_string(LatestSchemaVersion()) + "; it cannot migrate a store it may not write");
  }
  return std::unique_ptr<Store>(new Store(dir, std::move(db)));
}

StatusOr<int64_t> Store::TypeId(std::string_view kind, const std::string& name) {
  const std::string key = std::string(kind) + "/" + name;
  if (auto it = type_ids_.find(key); it != type_ids_.end()) return it->second;
  SM_ASSIGN_OR_RETURN(Statement insert,
                      db_->Prepare("INSERT OR IGNORE INTO types (kind, name) VALUES (?, ?)"));
  SM_RETURN_IF_ERROR(insert.Bind(1, kind).Bind(2, name).Run());
  SM_ASSIGN_OR_RETURN(Statement get, db_->Prepare("SELECT id FROM types WHERE kind=? AND name=?"));
  get.Bind(1, kind).Bind(2, name);
  SM_ASSIGN_OR_RETURN(bool row, get.Step());
  if (!row) return InternalError("type " + key + " vanished");
  return type_ids_[key] = get.Int(0);
}

Status Store::PutProperties(std::string_view table, std::string_view key, int64_t id,
                            const Properties& properties) {
  if (properties.empty()) return OkStatus();
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("INSERT OR REPLACE INTO " + std::string(table) +
                                                " (" + std::string(key) +
                                                ", name, int_value, double_value, string_value) "
                                                "VALUES (?, ?, ?, ?, ?)"));
  for (const auto& [name, value] : properties) {
    s.Bind(1, id).Bind(2, name).BindNull(3).BindNull(4).BindNull(5);
    if (auto* i = std::get_if<int64_t>(&value)) s.Bind(3, *i);
    if (auto* d = std::get_if<double>(&value)) s.Bind(4, *d);
    if (auto* t = std::get_if<std::string>(&value)) s.Bind(5, *t);
    SM_RETURN_IF_ERROR(s.Run());
  }
  return OkStatus();
}

StatusOr<Properties> Store::GetProperties(std::string_view table, std::string_view key,
                                          int64_t id) {
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("SELECT name, int_value, double_value, "
                                   "string_value FROM " +
                                   std::string(table) + " WHERE " + std::string(key) + "=?"));
  s.Bind(1, id);
  Properties out;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (!s.IsNull(1))
      out[s.Text(0)] = s.Int(1);
    else if (!s.IsNull(2))
      out[s.Text(0)] = s.Double(2);
    else
      out[s.Text(0)] = s.Text(3);
  }
  return out;
}

// ---------------------------------------------------------------- contexts

StatusOr<int64_t> Store::PutContext(ContextType type, const std::string& name,
                                    const Properties& properties, std::optional<int64_t> parent) {
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(int64_t type_id, TypeId("CONTEXT", std::string(Name(type))));
  SM_ASSIGN_OR_RETURN(Statement insert,
                      db_->Prepare("INSERT OR IGNORE INTO contexts (uuid, type_id, name, "
                                   "create_time) VALUES (?, ?, ?, ?)"));
  SM_RETURN_IF_ERROR(
      insert.Bind(1, NewUuid()).Bind(2, type_id).Bind(3, name).Bind(4, NowMs()).Run());
  SM_ASSIGN_OR_RETURN(Statement get,
                      db_->Prepare("SELECT id FROM contexts WHERE type_id=? AND name=?"));
  get.Bind(1, type_id).Bind(2, name);
  SM_ASSIGN_OR_RETURN(bool row, get.Step());
  if (!row) return InternalError("context " + name + " vanished");
  const int64_t id = get.Int(0);
  get.Reset();
  SM_RETURN_IF_ERROR(PutProperties("context_properties", "context_id", id, properties));
  if (parent) {
    SM_ASSIGN_OR_RETURN(Statement link,
                        db_->Prepare("INSERT OR IGNORE INTO parent_contexts "
                                     "(context_id, parent_context_id) VALUES (?, ?)"));
    SM_RETURN_IF_ERROR(link.Bind(1, id).Bind(2, *parent).Run());
  }
  SM_RETURN_IF_ERROR(tx->Commit());
  return id;
}

StatusOr<ContextRecord> Store::GetContext(int64_t id) {
  SM_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("SELECT c.id, c.uuid, t.name, c.name, c.create_time FROM contexts c "
                   "JOIN types t ON t.id=c.type_id WHERE c.id=?"));
  s.Bind(1, id);
  SM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError("no context " + std::to_string(id));
  ContextRecord c;
  c.id = s.Int(0);
  c.uuid = s.Text(1);
  SM_ASSIGN_OR_RETURN(c.type, Parse<ContextType>(s.Text(2), kContextTypes));
  c.name = s.Text(3);
  c.create_time_ms = s.Int(4);
  s.Reset();
  SM_ASSIGN_OR_RETURN(c.properties, GetProperties("context_properties", "context_id", id));
  SM_ASSIGN_OR_RETURN(Statement p, db_->Prepare("SELECT parent_context_id FROM parent_contexts "
                                                "WHERE context_id=?"));
  p.Bind(1, id);
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool more, p.Step());
    if (!more) break;
    c.parents.push_back(p.Int(0));
  }
  return c;
}

StatusOr<std::optional<ContextRecord>> Store::FindContext(ContextType type,
                                                          const std::string& name) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT c.id FROM contexts c JOIN types t ON "
                                                "t.id=c.type_id WHERE t.kind='CONTEXT' AND "
                                                "t.name=? AND c.name=?"));
  s.Bind(1, Name(type)).Bind(2, name);
  SM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ContextRecord>();
  SM_ASSIGN_OR_RETURN(ContextRecord c, GetContext(s.Int(0)));
  return std::optional<ContextRecord>(std::move(c));
}

Status Store::Attribute(int64_t context_id, int64_t artifact_id) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("INSERT OR IGNORE INTO attributions "
                                                "(context_id, artifact_id) VALUES (?, ?)"));
  return s.Bind(1, context_id).Bind(2, artifact_id).Run();
}

// ---------------------------------------------------------------- writing executions
// The Insert* helpers run inside the caller's transaction.

StatusOr<int64_t> Store::InsertArtifact(const std::string& type, const std::string& digest,
                                        int64_t size, bool secret, const std::string& name,
                                        ArtifactState state,
                                        std::optional<int64_t> pending_execution,
                                        const Properties& properties) {
  SM_ASSIGN_OR_RETURN(int64_t type_id, TypeId("ARTIFACT", type));
  SM_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare("INSERT INTO artifacts (type_id, uri, digest, size, state, secret, "
                                "name, pending_execution_id, "
                                "create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  const int64_t now = NowMs();
  SM_RETURN_IF_ERROR(s.Bind(1, type_id)
                         .Bind(2, "sha256:" + digest)
                         .Bind(3, digest)
                         .Bind(4, size)
                         .Bind(5, Name(state))
                         .Bind(6, int64_t{secret})
                         .Bind(7, name)
                         .Bind(8, pending_execution)
                         .Bind(9, now)
                         .Bind(10, now)
                         .Run());
  const int64_t id = db_->LastInsertId();
  SM_RETURN_IF_ERROR(PutProperties("artifact_properties", "artifact_id", id, properties));
  return id;
}

StatusOr<int64_t> Store::InsertExecution(const NewExecution& e, ExecutionState state,
                                         std::optional<int64_t> cached_from) {
  SM_ASSIGN_OR_RETURN(int64_t type_id, TypeId("EXECUTION", e.plugin));
  SM_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(
          "INSERT INTO executions (uuid, type_id, name, plugin_version, params, fingerprint, "
          "state, cached_from, "
          "owner, create_time, start_time, end_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  const int64_t now = NowMs();
  s.Bind(1, NewUuid())
      .Bind(2, type_id)
      .Bind(3, e.name)
      .Bind(4, e.plugin_version)
      .Bind(5, e.params_json);
  s.Bind(6, e.fingerprint).Bind(7, Name(state)).Bind(8, cached_from).Bind(9, ProcessOwner());
  s.Bind(10, now).Bind(11, now).Bind(12, now);
  if (state == ExecutionState::kRunning) s.BindNull(12);  // it has not ended yet
  SM_RETURN_IF_ERROR(s.Run());
  const int64_t id = db_->LastInsertId();
  SM_RETURN_IF_ERROR(PutProperties("execution_properties", "execution_id", id, e.properties));
  SM_ASSIGN_OR_RETURN(Statement assoc, db_->Prepare("INSERT OR IGNORE INTO associations "
                                                    "(context_id, execution_id) VALUES (?, ?)"));
  for (int64_t c : e.contexts) SM_RETURN_IF_ERROR(assoc.Bind(1, c).Bind(2, id).Run());
  return id;
}

Status Store::InsertEvents(int64_t execution_id, EventType type,
                           const std::vector<EventSpec>& events) {
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("INSERT INTO events (artifact_id, execution_id, type, path, "
                                   "time) VALUES (?, ?, ?, ?, ?)"));
  const int64_t now = NowMs();
  for (const EventSpec& ev : events) {
    SM_RETURN_IF_ERROR(s.Bind(1, ev.artifact_id)
                           .Bind(2, execution_id)
                           .Bind(3, Name(type))
                           .Bind(4, ev.path)
                           .Bind(5, now)
                           .Run());
  }
  return OkStatus();
}

StatusOr<int64_t> Store::BeginExecution(const NewExecution& e) {
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(int64_t id, InsertExecution(e, ExecutionState::kRunning, std::nullopt));
  SM_RETURN_IF_ERROR(tx->Commit());
  return id;
}

Status Store::AnnotateExecution(int64_t execution_id, const Properties& properties) {
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_RETURN_IF_ERROR(
      PutProperties("execution_properties", "execution_id", execution_id, properties));
  return tx->Commit();
}

StatusOr<int64_t> Store::StageOutput(int64_t execution_id, const std::string& type,
                                     std::string_view bytes, bool secret,
                                     const Properties& properties, const std::string& name) {
  const std::string digest = Sha256Hex(bytes);
  int64_t id = 0;
  {
    // The PENDING row comes first, so garbage collection never takes the blob from
    // under a writer; the artifact turns LIVE only in CompleteExecution.
    SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
    SM_ASSIGN_OR_RETURN(
        id, InsertArtifact(type, digest, static_cast<int64_t>(bytes.size()), secret, name,
                           ArtifactState::kPending, execution_id, properties));
    SM_RETURN_IF_ERROR(tx->Commit());
  }
  SM_RETURN_IF_ERROR(blobs_.Write(bytes, digest, secret));
  return id;
}

Status Store::CompleteExecution(int64_t execution_id, const std::vector<EventSpec>& inputs,
                                const std::vector<EventSpec>& outputs) {
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(Statement state, db_->Prepare("SELECT state FROM executions WHERE id=?"));
  state.Bind(1, execution_id);
  SM_ASSIGN_OR_RETURN(bool found, state.Step());
  if (!found) return NotFoundError("no execution " + std::to_string(execution_id));
  if (state.Text(0) != "RUNNING") {
    return FailedPreconditionError("execution " + std::to_string(execution_id) + " is " +
                                   state.Text(0) + ", not RUNNING");
  }
  state.Reset();
  SM_ASSIGN_OR_RETURN(Statement check, db_->Prepare("SELECT state, pending_execution_id, digest "
                                                    "FROM artifacts WHERE id=?"));
  for (const auto& in : inputs) {
    check.Bind(1, in.artifact_id);
    SM_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row || check.Text(0) != "LIVE") {
      return FailedPreconditionError("input artifact " + std::to_string(in.artifact_id) + " is " +
                                     (row ? check.Text(0) : "missing") + ", not LIVE");
    }
    check.Reset();
  }
  const int64_t now = NowMs();
  SM_ASSIGN_OR_RETURN(Statement live,
                      db_->Prepare("UPDATE artifacts SET state='LIVE', "
                                   "pending_execution_id=NULL, update_time=? WHERE id=?"));
  for (const auto& out : outputs) {
    check.Bind(1, out.artifact_id);
    SM_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row || check.Text(0) != "PENDING" || check.Int(1) != execution_id) {
      return FailedPreconditionError("output artifact " + std::to_string(out.artifact_id) +
                                     " was not staged by execution " +
                                     std::to_string(execution_id));
    }
    const std::string digest = check.Text(2);
    check.Reset();
    if (!blobs_.Exists(digest)) {
      return DataLossError("output artifact " + std::to_string(out.artifact_id) + " has no blob " +
                           digest);
    }
    SM_RETURN_IF_ERROR(live.Bind(1, now).Bind(2, out.artifact_id).Run());
  }
  SM_RETURN_IF_ERROR(InsertEvents(execution_id, EventType::kInput, inputs));
  SM_RETURN_IF_ERROR(InsertEvents(execution_id, EventType::kOutput, outputs));
  SM_ASSIGN_OR_RETURN(Statement done, db_->Prepare("UPDATE executions SET state='COMPLETE', "
                                                   "end_time=? WHERE id=?"));
  SM_RETURN_IF_ERROR(done.Bind(1, now).Bind(2, execution_id).Run());
  return tx->Commit();
}

Status Store::FailExecution(int64_t execution_id, const std::string& error,
                            const std::vector<EventSpec>& inputs, ExecutionState state) {
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("UPDATE executions SET state=?, end_time=?, "
                                   "error=? WHERE id=? AND state IN ('NEW', 'RUNNING')"));
  SM_RETURN_IF_ERROR(
      s.Bind(1, Name(state)).Bind(2, NowMs()).Bind(3, error).Bind(4, execution_id).Run());
  if (db_->Changes() == 0) {
    return FailedPreconditionError("execution " + std::to_string(execution_id) + " is not running");
  }
  SM_RETURN_IF_ERROR(InsertEvents(execution_id, EventType::kInput, inputs));
  SM_ASSIGN_OR_RETURN(Statement abandon,
                      db_->Prepare("UPDATE artifacts SET state='ABANDONED', update_time=? WHERE "
                                   "pending_execution_id=? AND state='PENDING'"));
  SM_RETURN_IF_ERROR(abandon.Bind(1, NowMs()).Bind(2, execution_id).Run());
  return tx->Commit();
}

StatusOr<int64_t> Store::RecordCachedExecution(const NewExecution& e, int64_t source,
                                               const std::vector<EventSpec>& inputs) {
  SM_ASSIGN_OR_RETURN(Execution from, GetExecution(source));
  if (from.state != ExecutionState::kComplete) {
    return FailedPreconditionError("execution " + std::to_string(source) + " is " +
                                   std::string(Name(from.state)) + ", not COMPLETE");
  }
  SM_ASSIGN_OR_RETURN(std::vector<Event> source_events, EventsOfExecution(source));
  std::vector<EventSpec> outputs;
  for (const auto& ev : source_events) {
    if (ev.type == EventType::kOutput) outputs.push_back({ev.artifact_id, ev.path});
  }
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(int64_t id, InsertExecution(e, ExecutionState::kCached, source));
  SM_RETURN_IF_ERROR(InsertEvents(id, EventType::kInput, inputs));
  SM_RETURN_IF_ERROR(InsertEvents(id, EventType::kOutput, outputs));
  SM_RETURN_IF_ERROR(tx->Commit());
  return id;
}

StatusOr<int64_t> Store::PutArtifact(const std::string& type, std::string_view bytes, bool secret,
                                     const Properties& properties, const std::string& name) {
  SM_ASSIGN_OR_RETURN(std::string digest, blobs_.Put(bytes, secret));
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(int64_t id,
                      InsertArtifact(type, digest, static_cast<int64_t>(bytes.size()), secret, name,
                                     ArtifactState::kLive, std::nullopt, properties));
  SM_RETURN_IF_ERROR(tx->Commit());
  return id;
}

}  // namespace securemark::store
