// Recovery of interrupted executions, garbage collection and integrity checks.
#include <cerrno>
#include <csignal>
#include <set>

#include "sqlite.h"
#include "store.h"

namespace securemark::store {
namespace {

// True when `owner` ("host:pid") names a process on this host that no longer exists.
bool OwnerIsGone(const std::string& owner) {
  const std::string self = ProcessOwner();
  const size_t colon = owner.rfind(':');
  if (colon == std::string::npos) return false;
  if (owner.substr(0, colon) != self.substr(0, self.rfind(':'))) return false;  // other host
  const pid_t pid = static_cast<pid_t>(std::stol(owner.substr(colon + 1)));
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

StatusOr<int64_t> Store::RecoverInterrupted() {
  SM_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT id, owner FROM executions WHERE state "
                                                "IN ('NEW', 'RUNNING')"));
  std::vector<std::pair<int64_t, std::string>> stale;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (OwnerIsGone(s.Text(1))) stale.emplace_back(s.Int(0), s.Text(1));
  }
  s.Reset();
  int64_t recovered = 0;
  for (const auto& [id, owner] : stale) {
    Status failed =
        FailExecution(id, "interrupted: the process running it (" + owner + ") is gone");
    // Another process may have recovered it first.
    if (failed.ok())
      ++recovered;
    else if (failed.code() != StatusCode::kFailedPrecondition)
      return failed;
  }
  return recovered;
}

StatusOr<GcReport> Store::CollectGarbage() {
  GcReport report;
  SM_ASSIGN_OR_RETURN(int64_t recovered, RecoverInterrupted());
  (void)recovered;
  {
    SM_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("SELECT count(*) FROM artifacts WHERE state='ABANDONED'"));
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    report.artifacts_abandoned = row ? s.Int(0) : 0;
  }
  // Hold the write lock while deleting: a writer stages its PENDING row before writing
  // its blob, so any blob a writer relies on is either referenced here or written after.
  SM_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  SM_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("SELECT DISTINCT digest FROM artifacts WHERE state IN ('LIVE', 'PENDING')"));
  std::set<std::string> needed;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    needed.insert(s.Text(0));
  }
  s.Reset();
  for (const std::string& digest : blobs_.ListDigests()) {
    if (needed.count(digest)) continue;
    SM_ASSIGN_OR_RETURN(int64_t freed, blobs_.Remove(digest));
    report.bytes_freed += freed;
    ++report.blobs_removed;
  }
  SM_ASSIGN_OR_RETURN(report.temp_files_removed,
                      blobs_.RemoveAbandonedTempFiles(&report.bytes_freed));
  SM_RETURN_IF_ERROR(tx->Commit());
  return report;
}

StatusOr<std::vector<std::string>> Store::Check() {
  std::vector<std::string> problems;
  SM_ASSIGN_OR_RETURN(Statement integrity, db_->Prepare("PRAGMA integrity_check"));
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, integrity.Step());
    if (!row) break;
    if (integrity.Text(0) != "ok") problems.push_back("database: " + integrity.Text(0));
  }
  SM_ASSIGN_OR_RETURN(Statement fk, db_->Prepare("PRAGMA foreign_key_check"));
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, fk.Step());
    if (!row) break;
    problems.push_back("database: row " + fk.Text(1) + " of " + fk.Text(0) +
                       " references a missing row of " + fk.Text(2));
  }
  SM_ASSIGN_OR_RETURN(
      Statement live,
      db_->Prepare(
          "SELECT a.id, t.name, a.digest, a.size, a.secret FROM artifacts a JOIN types t ON "
          "t.id=a.type_id WHERE a.state='LIVE' ORDER BY a.id"));
  std::map<std::string, Status> verified;  // each blob is hashed once
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, live.Step());
    if (!row) break;
    const std::string digest = live.Text(2);
    auto it = verified.find(digest);
    if (it == verified.end()) it = verified.emplace(digest, blobs_.Verify(digest)).first;
    const std::string what = "artifact " + std::to_string(live.Int(0)) + " (" + live.Text(1) + ")";
    if (!it->second.ok()) {
      problems.push_back(what + ": " + it->second.message());
      continue;
    }
    if (live.Int(4) != 0) {
      if (Status p = blobs_.CheckPrivate(digest); !p.ok())
        problems.push_back(what + ": " + p.message());
    }
    StatusOr<int64_t> size = blobs_.SizeOf(digest);
    if (size.ok() && *size != live.Int(3)) {
      problems.push_back(what + ": recorded size " + std::to_string(live.Int(3)) +
                         " but the blob has " + std::to_string(*size) + " bytes");
    }
  }
  SM_ASSIGN_OR_RETURN(
      Statement events,
      db_->Prepare("SELECT ev.id, ev.artifact_id, a.state FROM events ev JOIN artifacts a ON "
                   "a.id=ev.artifact_id WHERE a.state<>'LIVE'"));
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, events.Step());
    if (!row) break;
    problems.push_back("event " + events.Text(0) + " refers to artifact " + events.Text(1) +
                       " which is " + events.Text(2));
  }
  return problems;
}

}  // namespace securemark::store
