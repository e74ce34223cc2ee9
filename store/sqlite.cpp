#include "sqlite.h"

#include <cstdio>

#include <chrono>
#include <random>
#include <thread>

#include <sqlite3.h>

namespace securemark::store {
namespace {

// Several processes share one store: wait this long for a lock before giving up.
constexpr int kBusyTimeoutMs = 30000;

bool IsBusy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

}  // namespace

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

StatusOr<bool> Statement::Step() {
  // The busy handler waits on locks; a retry loop covers the cases where SQLite returns
  // BUSY at once to avoid deadlock (e.g. WAL recovery by another connection).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (IsBusy(rc) && std::chrono::steady_clock::now() < deadline) {
      sqlite3_reset(stmt_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    std::string msg =
        std::string(sqlite3_errmsg(db_)) +
        " (in: " + std::string(sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "?").substr(0, 120) + ")";
    const char* file = sqlite3_db_filename(db_, "main");
    msg = std::string(file ? file : "?") + ": " + msg;
    sqlite3_reset(stmt_);
    if (IsBusy(rc)) return UnavailableError(msg);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return FailedPreconditionError(msg);
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) return DataLossError(msg);
    return InternalError(msg);
  }
}

Status Statement::Run() {
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return OkStatus();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text ? std::string(text, sqlite3_column_bytes(stmt_, column)) : std::string();
}
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = path + ": cannot open database: " + (db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return rc == SQLITE_CANTOPEN ? NotFoundError(msg) : InternalError(msg);
  }
  std::unique_ptr<Database> database(new Database(db, path));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  // A file that is not a database fails on the first read; make that the open's error.
  Status pragmas =
      database->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (!pragmas.ok()) return pragmas;
  return database;
}

StatusOr<std::unique_ptr<Database>> Database::OpenReadOnly(const std::string& path) {
  auto attempt = [&](const std::string& name, int extra) -> StatusOr<std::unique_ptr<Database>> {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &db,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | extra, nullptr);
    std::unique_ptr<Database> database(new Database(db, path));
    if (rc != SQLITE_OK) {
      return NotFoundError(path + ": cannot open database: " + (db ? sqlite3_errmsg(db) : "?"));
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db, 1);
    // The first read shows whether the file is a database SQLite can read from here.
    SM_RETURN_IF_ERROR(database->Exec("SELECT count(*) FROM sqlite_master"));
    return database;
  };
  StatusOr<std::unique_ptr<Database>> shared = attempt(path, 0);
  if (shared.ok()) return shared;
  // Without write access to the directory, SQLite cannot create the WAL index a reader
  // needs; nobody can be writing there either, so the file can be read as immutable.
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  StatusOr<std::unique_ptr<Database>> immutable = attempt(uri + "?immutable=1", SQLITE_OPEN_URI);
  if (immutable.ok()) return immutable;
  return shared.status();
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Exec(std::string_view sql) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    if (rc == SQLITE_OK) return OkStatus();
    if (IsBusy(rc) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    msg = path_ + ": " + msg;
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
      return DataLossError(msg + " (not a securemark store database, or damaged)");
    }
    return IsBusy(rc) ? UnavailableError(msg) : InternalError(msg);
  }
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error("prepare failed for: " + std::string(sql.substr(0, 120)));
  return Statement(db_, stmt);
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

Status Database::Error(std::string_view what) const {
  return InternalError(path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

StatusOr<std::unique_ptr<Transaction>> Transaction::Begin(Database& db) {
  SM_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  done_ = true;
  Status s = db_.Exec("COMMIT");
  if (!s.ok()) (void)db_.Exec("ROLLBACK");
  return s;
}

}  // namespace securemark::store
