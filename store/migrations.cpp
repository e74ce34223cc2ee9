#include "migrations.h"

#include <string>
#include <vector>

namespace securemark::store {
namespace {

// Shaped like Google ML Metadata: types, artifacts, executions, events, contexts with
// attributions (context-artifact), associations (context-execution) and parent contexts.
const char* const kMigration1 = R"sql(
CREATE TABLE types (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('ARTIFACT', 'EXECUTION', 'CONTEXT')),
  name TEXT NOT NULL,
  UNIQUE (kind, name)
);
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  type_id INTEGER NOT NULL REFERENCES types(id),
  uri TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('PENDING', 'LIVE', 'ABANDONED')),
  secret INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL DEFAULT '',
  pending_execution_id INTEGER REFERENCES executions(id),
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
);
CREATE INDEX artifacts_by_digest ON artifacts(digest);
CREATE INDEX artifacts_by_state ON artifacts(state);
CREATE TABLE artifact_properties (
  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
  name TEXT NOT NULL,
  int_value INTEGER, double_value REAL, string_value TEXT,
  PRIMARY KEY (artifact_id, name)
) WITHOUT ROWID;
CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  type_id INTEGER NOT NULL REFERENCES types(id),
  name TEXT NOT NULL DEFAULT '',
  plugin_version TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '{}',
  fingerprint TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('NEW', 'RUNNING', 'COMPLETE', 'FAILED', 'CACHED', 'CANCELED')),
  cached_from INTEGER REFERENCES executions(id),
  owner TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  start_time INTEGER,
  end_time INTEGER,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX executions_by_fingerprint ON executions(fingerprint, state);
CREATE INDEX executions_by_state ON executions(state);
CREATE TABLE execution_properties (
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  name TEXT NOT NULL,
  int_value INTEGER, double_value REAL, string_value TEXT,
  PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  type TEXT NOT NULL CHECK (type IN ('INPUT', 'OUTPUT')),
  path TEXT NOT NULL DEFAULT '',
  time INTEGER NOT NULL
);
CREATE INDEX events_by_artifact ON events(artifact_id, type, execution_id);
CREATE INDEX events_by_execution ON events(execution_id, type, artifact_id);
CREATE TABLE contexts (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  type_id INTEGER NOT NULL REFERENCES types(id),
  name TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  UNIQUE (type_id, name)
);
CREATE TABLE context_properties (
  context_id INTEGER NOT NULL REFERENCES contexts(id),
  name TEXT NOT NULL,
  int_value INTEGER, double_value REAL, string_value TEXT,
  PRIMARY KEY (context_id, name)
) WITHOUT ROWID;
CREATE TABLE attributions (
  context_id INTEGER NOT NULL REFERENCES contexts(id),
  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
  PRIMARY KEY (context_id, artifact_id)
) WITHOUT ROWID;
CREATE TABLE associations (
  context_id INTEGER NOT NULL REFERENCES contexts(id),
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  PRIMARY KEY (context_id, execution_id)
) WITHOUT ROWID;
CREATE INDEX associations_by_execution ON associations(execution_id);
CREATE TABLE parent_contexts (
  context_id INTEGER NOT NULL REFERENCES contexts(id),
  parent_context_id INTEGER NOT NULL REFERENCES contexts(id),
  PRIMARY KEY (context_id, parent_context_id)
) WITHOUT ROWID;
)sql";

// Artifacts are looked up by the name the pipeline gave them ("embed@3.model").
const char* const kMigration2 = R"sql(
CREATE INDEX artifacts_by_name ON artifacts(name);
)sql";

const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {kMigration1, kMigration2};
  return migrations;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status Migrate(Database& db) {
  SM_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  for (;;) {
    SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(db));
    SM_ASSIGN_OR_RETURN(Statement get, db.Prepare("SELECT max(version) FROM schema_version"));
    SM_ASSIGN_OR_RETURN(bool row, get.Step());
    const int current = row && !get.IsNull(0) ? static_cast<int>(get.Int(0)) : 0;
    get.Reset();
    if (current > LatestSchemaVersion()) {
      return FailedPreconditionError(
          db.path() + ": the store has schema version " + std::to_string(current) +
          " but this securemark understands versions up to " +
          std::to_string(LatestSchemaVersion()) + "; use a newer securemark");
    }
    if (current == LatestSchemaVersion()) return tx->Commit();
    SM_RETURN_IF_ERROR(db.Exec(Migrations()[current]));
    SM_ASSIGN_OR_RETURN(Statement set, db.Prepare("INSERT INTO schema_version VALUES (?)"));
    SM_RETURN_IF_ERROR(set.Bind(1, int64_t{current + 1}).Run());
    SM_RETURN_IF_ERROR(tx->Commit());
  }
}

}  // namespace securemark::store
