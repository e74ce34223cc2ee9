#include "lineage.h"

#include "sqlite.h"

namespace securemark::store {
namespace {

// Each recursive arm follows one kind of edge; UNION stops revisiting (kind, id, depth).
constexpr const char* kUpstreamWalk = R"sql(
WITH RECURSIVE walk(kind, id, depth) AS (
  VALUES (?1, ?2, 0)
  UNION
  SELECT 'e', ev.execution_id, w.depth + 1 FROM walk w
    JOIN events ev ON ev.artifact_id = w.id AND ev.type = 'OUTPUT'
    WHERE w.kind = 'a' AND w.depth < ?3
  UNION
  SELECT 'a', ev.artifact_id, w.depth + 1 FROM walk w
    JOIN events ev ON ev.execution_id = w.id AND ev.type = 'INPUT'
    WHERE w.kind = 'e' AND w.depth < ?3
)
INSERT OR IGNORE INTO temp.lineage_nodes SELECT kind, id FROM walk)sql";

constexpr const char* kDownstreamWalk = R"sql(
WITH RECURSIVE walk(kind, id, depth) AS (
  VALUES (?1, ?2, 0)
  UNION
  SELECT 'e', ev.execution_id, w.depth + 1 FROM walk w
    JOIN events ev ON ev.artifact_id = w.id AND ev.type = 'INPUT'
    WHERE w.kind = 'a' AND w.depth < ?3
  UNION
  SELECT 'a', ev.artifact_id, w.depth + 1 FROM walk w
    JOIN events ev ON ev.execution_id = w.id AND ev.type = 'OUTPUT'
    WHERE w.kind = 'e' AND w.depth < ?3
)
INSERT OR IGNORE INTO temp.lineage_nodes SELECT kind, id FROM walk)sql";

bool IsHex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

constexpr size_t kMinBareDigest = 6;

bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::string NodeRef::Label() const { return (kind == kArtifact ? "a" : "e") + std::to_string(id); }

StatusOr<NodeRef> ResolveNode(Store& store, const std::string& text) {
  auto numbered = [&](NodeRef::Kind kind, const std::string& digits) -> StatusOr<NodeRef> {
    NodeRef ref{kind, std::stoll(digits)};
    Status exists = kind == NodeRef::kArtifact ? store.GetArtifact(ref.id).status()
                                               : store.GetExecution(ref.id).status();
    if (!exists.ok()) return exists;
    return ref;
  };
  for (const auto& [prefix, kind] :
       std::vector<std::pair<std::string, NodeRef::Kind>>{{"artifact:", NodeRef::kArtifact},
                                                          {"execution:", NodeRef::kExecution},
                                                          {"a", NodeRef::kArtifact},
                                                          {"e", NodeRef::kExecution}}) {
    if (text.rfind(prefix, 0) == 0 && IsNumber(text.substr(prefix.size()))) {
      return numbered(kind, text.substr(prefix.size()));
    }
  }
  // A bare number could be an id or the start of a digest ("044658"): short ones must say
  // which, longer ones are digests.
  if (IsNumber(text) && text.size() < kMinBareDigest) {
    return InvalidArgumentError("'" + text + "' is ambiguous: write a" + text +
                                " for an artifact, e" + text + " for an execution, or at least " +
                                std::to_string(kMinBareDigest) + " hex digits of a digest");
  }
  const bool tagged = text.rfind("sha256:", 0) == 0;
  std::string digest = tagged ? text.substr(7) : text;
  if (IsHex(digest) && digest.size() >= (tagged ? 4 : kMinBareDigest)) {
    SM_ASSIGN_OR_RETURN(std::vector<Artifact> matches, store.FindArtifactsByDigestPrefix(digest));
    if (matches.empty()) return NotFoundError("no artifact with digest prefix " + digest);
    if (matches.size() > 1 && matches.front().digest != matches.back().digest) {
      std::string msg = "digest prefix " + digest + " is ambiguous:";
      for (size_t i = 0; i < matches.size() && i < 10; ++i) {
        msg += " a" + std::to_string(matches[i].id) + " (" + matches[i].digest.substr(0, 12) + ")";
      }
      return InvalidArgumentError(msg);
    }
    // Identical content in several artifacts: the first one stands for the digest.
    return NodeRef{NodeRef::kArtifact, matches.front().id};
  }
  SM_ASSIGN_OR_RETURN(std::vector<Artifact> named, store.FindArtifactsByName(text));
  if (!named.empty()) return NodeRef{NodeRef::kArtifact, named.front().id};
  return InvalidArgumentError("'" + text +
                              "' is not an artifact or execution id (a12, e7), a digest prefix "
                              "of at least 6 hex digits (or sha256:PREFIX), or an artifact name");
}

StatusOr<LineageGraph> QueryLineage(Store& store, NodeRef root, Direction direction, int max_hops) {
  Database& db = store.db();
  SM_RETURN_IF_ERROR(
      db.Exec("CREATE TEMP TABLE IF NOT EXISTS lineage_nodes (kind TEXT, id "
              "INTEGER, PRIMARY KEY (kind, id)) WITHOUT ROWID; "
              "DELETE FROM temp.lineage_nodes;"));
  const char* kind = root.kind == NodeRef::kArtifact ? "a" : "e";
  for (const char* walk : {kUpstreamWalk, kDownstreamWalk}) {
    if (walk == kUpstreamWalk && direction == Direction::kDownstream) continue;
    if (walk == kDownstreamWalk && direction == Direction::kUpstream) continue;
    SM_ASSIGN_OR_RETURN(Statement s, db.Prepare(walk));
    SM_RETURN_IF_ERROR(s.Bind(1, kind).Bind(2, root.id).Bind(3, int64_t{max_hops}).Run());
  }
  LineageGraph graph;
  graph.root = root;
  graph.direction = direction;
  SM_ASSIGN_OR_RETURN(Statement nodes, db.Prepare("SELECT kind, id FROM temp.lineage_nodes"));
  std::vector<NodeRef> refs;
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, nodes.Step());
    if (!row) break;
    refs.push_back({nodes.Text(0) == "a" ? NodeRef::kArtifact : NodeRef::kExecution, nodes.Int(1)});
  }
  nodes.Reset();
  for (const NodeRef& ref : refs) {
    if (ref.kind == NodeRef::kArtifact) {
      SM_ASSIGN_OR_RETURN(graph.artifacts[ref.id], store.GetArtifact(ref.id));
    } else {
      SM_ASSIGN_OR_RETURN(graph.executions[ref.id], store.GetExecution(ref.id));
    }
  }
  SM_ASSIGN_OR_RETURN(
      Statement edges,
      db.Prepare(
          "SELECT ev.artifact_id, ev.execution_id, ev.type, ev.path, ev.time FROM events ev "
          "JOIN temp.lineage_nodes a ON a.kind = 'a' AND a.id = ev.artifact_id "
          "JOIN temp.lineage_nodes e ON e.kind = 'e' AND e.id = ev.execution_id ORDER BY ev.id"));
  for (;;) {
    SM_ASSIGN_OR_RETURN(bool row, edges.Step());
    if (!row) break;
    Event e;
    e.artifact_id = edges.Int(0);
    e.execution_id = edges.Int(1);
    e.type = edges.Text(2) == "INPUT" ? EventType::kInput : EventType::kOutput;
    e.path = edges.Text(3);
    e.time_ms = edges.Int(4);
    graph.events.push_back(std::move(e));
  }
  return graph;
}

}  // namespace securemark::store
