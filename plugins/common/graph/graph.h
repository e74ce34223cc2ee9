// Undirected simple graphs in compressed sparse rows, with the original node names, and
// community ground truth. Loaders report malformed input with file:line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::graph {

class Graph {
 public:
  static constexpr std::string_view kTypeName = "Graph";

  Graph() = default;
  // From an edge list over nodes 0..n-1; self loops and repeated edges are dropped and
  // direction is ignored.
  static Graph FromEdges(int64_t nodes, const std::vector<std::pair<int64_t, int64_t>>& edges,
                         std::vector<std::string> names = {});

  int64_t nodes() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t edges() const { return static_cast<int64_t>(neighbors_.size()) / 2; }
  int64_t degree(int64_t v) const { return offsets_[v + 1] - offsets_[v]; }
  const int32_t* begin(int64_t v) const { return neighbors_.data() + offsets_[v]; }
  const int32_t* end(int64_t v) const { return neighbors_.data() + offsets_[v + 1]; }
  bool HasEdge(int64_t a, int64_t b) const;  // neighbour lists are sorted
  const std::string& name(int64_t v) const { return names_[v]; }
  const std::vector<std::string>& names() const { return names_; }

  // Ground-truth community of each node (-1: none), when known.
  std::vector<int64_t>& communities() { return communities_; }
  const std::vector<int64_t>& communities() const { return communities_; }

  std::string Encode() const;
  static StatusOr<Graph> Decode(std::string_view bytes);

 private:
  std::vector<int64_t> offsets_{0};
  std::vector<int32_t> neighbors_;
  std::vector<std::string> names_;
  std::vector<int64_t> communities_;
};

// A SNAP edge list: '#' comments, "u v" per line (whitespace separated), plain or .gz.
// Node names are relabelled 0..n-1 in order of first appearance.
StatusOr<Graph> ReadSnapEdgeList(const std::string& path);

// Community ground truth for a loaded graph, in one of two formats:
//   "lines":  one community per line, its members' names separated by whitespace
//   "labels": "node label" per line
//   "auto":   labels when every line has exactly two fields, else lines
// A node in several communities keeps the first; nodes in none get -1.
Status ReadCommunities(const std::string& path, const std::string& format, Graph& graph);

}  // namespace securemark::graph
