// Row decoding shared by the store's write and read sides (private to store/).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite.h"
#include "store.h"

namespace securemark::store::internal {

template <typename E, size_t N>
std::string_view NameOf(E value, const std::array<std::string_view, N>& names) {
  return names[static_cast<size_t>(value)];
}

template <typename E, size_t N>
StatusOr<E> Parse(const std::string& text, const std::array<std::string_view, N>& names) {
  int i = 0;
  for (std::string_view n : names) {
    if (n == text) return static_cast<E>(i);
    ++i;
  }
  return DataLossError("unknown state or type '" + text + "' in the store");
}

inline constexpr std::array<std::string_view, 3> kArtifactStates = {"PENDING", "LIVE", "ABANDONED"};
inline constexpr std::array<std::string_view, 6> kExecutionStates = {
    "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELED"};
inline constexpr std::array<std::string_view, 2> kEventTypes = {"INPUT", "OUTPUT"};
inline constexpr std::array<std::string_view, 4> kContextTypes = {"pipeline", "run", "foreach",
                                                                  "party"};

inline constexpr const char* kArtifactColumns =
    "a.id, t.name, a.uri, a.digest, a.size, a.state, a.secret, a.name, a.create_time";
inline constexpr const char* kExecutionColumns =
    "e.id, e.uuid, t.name, e.name, e.plugin_version, e.params, e.fingerprint, e.state, "
    "e.cached_from, e.owner, e.create_time, e.start_time, e.end_time, e.error";

inline StatusOr<Artifact> ArtifactFromRow(const Statement& s) {
  Artifact a;
  a.id = s.Int(0);
  a.type = s.Text(1);
  a.uri = s.Text(2);
  a.digest = s.Text(3);
  a.size = s.Int(4);
  SM_ASSIGN_OR_RETURN(a.state, Parse<ArtifactState>(s.Text(5), kArtifactStates));
  a.secret = s.Int(6) != 0;
  a.name = s.Text(7);
  a.create_time_ms = s.Int(8);
  return a;
}

inline StatusOr<Execution> ExecutionFromRow(const Statement& s) {
  Execution e;
  e.id = s.Int(0);
  e.uuid = s.Text(1);
  e.plugin = s.Text(2);
  e.name = s.Text(3);
  e.plugin_version = s.Text(4);
  e.params_json = s.Text(5);
  e.fingerprint = s.Text(6);
  SM_ASSIGN_OR_RETURN(e.state, Parse<ExecutionState>(s.Text(7), kExecutionStates));
  if (!s.IsNull(8)) e.cached_from = s.Int(8);
  e.owner = s.Text(9);
  e.create_time_ms = s.Int(10);
  if (!s.IsNull(11)) e.start_time_ms = s.Int(11);
  if (!s.IsNull(12)) e.end_time_ms = s.Int(12);
  e.error = s.Text(13);
  return e;
}

// Decodes every remaining row of `s` with `decode` (Statement -> StatusOr<T>).
template <typename T, typename Decode>
StatusOr<std::vector<T>> CollectRows(Statement& s, Decode decode) {
  std::vector<T> out;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    SM_ASSIGN_OR_RETURN(T value, decode(s));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace securemark::store::internal
