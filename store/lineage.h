// Lineage: the subgraph of artifacts and executions reachable from one node through
// events, upstream (what it came from), downstream (what came of it) or both, within a
// hop limit (one hop = one event edge). Exports as a text tree, Graphviz DOT and
// OpenLineage RunEvents.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store.h"

namespace securemark::store {

enum class Direction { kUpstream, kDownstream, kBoth };

struct NodeRef {
  enum Kind { kArtifact, kExecution } kind = kArtifact;
  int64_t id = 0;
  std::string Label() const;  // "a12" / "e7"
  bool operator<(const NodeRef& o) const { return kind != o.kind ? kind < o.kind : id < o.id; }
};

// "a12", "artifact:12", "e7", "execution:7", a digest prefix of at least 6 hex digits
// (or "sha256:" and at least 4; an ambiguous prefix lists the matches), or an artifact
// name such as "embed@3.model" (the newest artifact of that name). A bare number shorter
// than 6 digits is refused as ambiguous; "044658" is a digest prefix.
StatusOr<NodeRef> ResolveNode(Store& store, const std::string& text);

struct LineageGraph {
  NodeRef root;
  Direction direction = Direction::kBoth;
  std::map<int64_t, Artifact> artifacts;
  std::map<int64_t, Execution> executions;
  std::vector<Event> events;  // edges between included nodes
};

StatusOr<LineageGraph> QueryLineage(Store& store, NodeRef root, Direction direction, int max_hops);

std::string LineageToText(const LineageGraph& graph);
std::string LineageToDot(const LineageGraph& graph);
// One OpenLineage 2.x RunEvent per execution, as a JSON array. Executions associated with
// a run context get a ParentRunFacet; failed ones an ErrorMessageRunFacet; datasets carry
// their digest as the dataset version.
StatusOr<std::string> LineageToOpenLineage(Store& store, const LineageGraph& graph);

}  // namespace securemark::store
