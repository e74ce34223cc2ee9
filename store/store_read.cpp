// The read side of the store: artifacts, executions, events and contexts by id, digest
// prefix, context and fingerprint.
#include "sqlite.h"
#include "store.h"
#include "store_rows.h"

namespace securemark::store {
using namespace internal;

// ---------------------------------------------------------------- reading

StatusOr<Artifact> Store::GetArtifact(int64_t id) {
  SM_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                " FROM artifacts a JOIN types t ON t.id=a.type_id WHERE a.id=?"));
  s.Bind(1, id);
  SM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError("no artifact " + std::to_string(id));
  SM_ASSIGN_OR_RETURN(Artifact a, ArtifactFromRow(s));
  s.Reset();
  SM_ASSIGN_OR_RETURN(a.properties, GetProperties("artifact_properties", "artifact_id", id));
  return a;
}

StatusOr<Execution> Store::GetExecution(int64_t id) {
  SM_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare(std::string("SELECT ") + kExecutionColumns +
                                " FROM executions e JOIN types t ON t.id=e.type_id WHERE e.id=?"));
  s.Bind(1, id);
  SM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError("no execution " + std::to_string(id));
  SM_ASSIGN_OR_RETURN(Execution e, ExecutionFromRow(s));
  s.Reset();
  SM_ASSIGN_OR_RETURN(e.properties, GetProperties("execution_properties", "execution_id", id));
  return e;
}

StatusOr<std::vector<Artifact>> Store::FindArtifactsByDigestPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return InvalidArgumentError("'" + prefix + "' is not a hex digest prefix");
  }
  // A range scan on the digest index: prefix <= digest < prefix + 'g'.
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                   " FROM artifacts a JOIN types t ON t.id=a.type_id "
                                   "WHERE a.digest >= ? AND a.digest < ? ORDER BY a.id"));
  s.Bind(1, prefix).Bind(2, prefix + "g");
  return CollectRows<Artifact>(s, ArtifactFromRow);
}

StatusOr<std::vector<Artifact>> Store::FindArtifactsByName(const std::string& name) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                                " FROM artifacts a JOIN types t ON t.id=a.type_id "
                                                "WHERE a.name = ? ORDER BY a.id DESC"));
  s.Bind(1, name);
  return CollectRows<Artifact>(s, ArtifactFromRow);
}

StatusOr<std::vector<Artifact>> Store::FindArtifactsWithLabel(const std::string& label,
                                                              const std::string& value) {
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                   " FROM artifacts a JOIN types t ON t.id=a.type_id "
                                   "JOIN artifact_properties p ON p.artifact_id=a.id "
                                   "WHERE p.name=? AND p.string_value=? ORDER BY a.id DESC"));
  s.Bind(1, label).Bind(2, value);
  SM_ASSIGN_OR_RETURN(std::vector<Artifact> found, CollectRows<Artifact>(s, ArtifactFromRow));
  for (Artifact& a : found) {
    SM_ASSIGN_OR_RETURN(a.properties, GetProperties("artifact_properties", "artifact_id", a.id));
  }
  return found;
}

StatusOr<std::vector<ContextRecord>> Store::ListContexts(ContextType type) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT c.id FROM contexts c JOIN types t ON "
                                                "t.id=c.type_id WHERE t.kind='CONTEXT' AND "
                                                "t.name=? ORDER BY c.id DESC"));
  s.Bind(1, Name(type));
  std::vector<int64_t> ids;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.Int(0));
  }
  std::vector<ContextRecord> contexts;
  for (int64_t id : ids) {
    SM_ASSIGN_OR_RETURN(ContextRecord c, GetContext(id));
    contexts.push_back(std::move(c));
  }
  return contexts;
}

StatusOr<std::string> Store::ReadArtifact(int64_t id) {
  SM_ASSIGN_OR_RETURN(Artifact a, GetArtifact(id));
  if (a.state != ArtifactState::kLive) {
    return FailedPreconditionError("artifact " + std::to_string(id) + " is " +
                                   std::string(Name(a.state)) + ", not LIVE");
  }
  if (a.secret) SM_RETURN_IF_ERROR(blobs_.CheckPrivate(a.digest));
  return blobs_.Get(a.digest);
}

StatusOr<std::vector<Event>> Store::Events(std::string_view column, int64_t id) {
  SM_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("SELECT artifact_id, execution_id, type, path, time "
                                   "FROM events WHERE " +
                                   std::string(column) + "=? ORDER BY id"));
  s.Bind(1, id);
  std::vector<Event> out;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    Event e;
    e.artifact_id = s.Int(0);
    e.execution_id = s.Int(1);
    SM_ASSIGN_OR_RETURN(e.type, Parse<EventType>(s.Text(2), kEventTypes));
    e.path = s.Text(3);
    e.time_ms = s.Int(4);
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::vector<Event>> Store::EventsOfExecution(int64_t id) {
  return Events("execution_id", id);
}
StatusOr<std::vector<Event>> Store::EventsOfArtifact(int64_t id) {
  return Events("artifact_id", id);
}

StatusOr<std::vector<Execution>> Store::ExecutionsInContext(int64_t context_id) {
  SM_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(std::string("SELECT ") + kExecutionColumns +
                   " FROM associations x JOIN executions e ON e.id=x.execution_id "
                   "JOIN types t ON t.id=e.type_id WHERE x.context_id=? ORDER BY e.id"));
  s.Bind(1, context_id);
  return CollectRows<Execution>(s, ExecutionFromRow);
}

StatusOr<std::vector<ContextRecord>> Store::ContextsOfExecution(int64_t execution_id) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT context_id FROM associations WHERE "
                                                "execution_id=? ORDER BY context_id"));
  s.Bind(1, execution_id);
  std::vector<int64_t> ids;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.Int(0));
  }
  std::vector<ContextRecord> out;
  for (int64_t id : ids) {
    SM_ASSIGN_OR_RETURN(ContextRecord c, GetContext(id));
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::optional<Execution>> Store::FindCachedExecution(const std::string& fingerprint) {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT id FROM executions WHERE fingerprint=? "
                                                "AND state='COMPLETE' ORDER BY id DESC LIMIT 1"));
  s.Bind(1, fingerprint);
  SM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Execution>();
  const int64_t id = s.Int(0);
  s.Reset();
  SM_ASSIGN_OR_RETURN(Execution e, GetExecution(id));
  return std::optional<Execution>(std::move(e));
}

}  // namespace securemark::store
