#include "graph/graph.h"

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "data/idx_reader.h"
#include "securemark/files.h"

namespace securemark::graph {
namespace {

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

// Lines of a text file, plain or gzip, with 1-based numbers; comments and blanks skipped.
StatusOr<std::vector<std::pair<int64_t, std::string>>> DataLines(const std::string& path) {
  SM_ASSIGN_OR_RETURN(std::string raw, ReadFile(path));
  SM_ASSIGN_OR_RETURN(std::string text, data::MaybeGunzip(raw, path));
  std::vector<std::pair<int64_t, std::string>> out;
  std::istringstream in(text);
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == '%') continue;
    out.emplace_back(number, line);
  }
  return out;
}

}  // namespace

Graph Graph::FromEdges(int64_t nodes, const std::vector<std::pair<int64_t, int64_t>>& edges,
                       std::vector<std::string> names) {
  Graph g;
  std::vector<int64_t> degree(nodes, 0);
  for (const auto& [a, b] : edges) {
    if (a == b) continue;
    ++degree[a];
    ++degree[b];
  }
  g.offsets_.assign(nodes + 1, 0);
  for (int64_t v = 0; v < nodes; ++v) g.offsets_[v + 1] = g.offsets_[v] + degree[v];
  g.neighbors_.assign(g.offsets_[nodes], 0);
  std::vector<int64_t> fill(g.offsets_.begin(), g.offsets_.end() - 1);
  for (const auto& [a, b] : edges) {
    if (a == b) continue;
    g.neighbors_[fill[a]++] = static_cast<int32_t>(b);
    g.neighbors_[fill[b]++] = static_cast<int32_t>(a);
  }
  // Sort and drop repeated edges, compacting in place.
  std::vector<int64_t> offsets(nodes + 1, 0);
  int64_t out = 0;
  for (int64_t v = 0; v < nodes; ++v) {
    auto first = g.neighbors_.begin() + g.offsets_[v],
         last = g.neighbors_.begin() + g.offsets_[v + 1];
    std::sort(first, last);
    auto unique_end = std::unique(first, last);
    for (auto it = first; it != unique_end; ++it) g.neighbors_[out++] = *it;
    offsets[v + 1] = out;
  }
  g.neighbors_.resize(out);
  g.offsets_ = std::move(offsets);
  if (names.empty()) {
    for (int64_t v = 0; v < nodes; ++v) names.push_back(std::to_string(v));
  }
  g.names_ = std::move(names);
  g.communities_.assign(nodes, -1);
  return g;
}

bool Graph::HasEdge(int64_t a, int64_t b) const {
  return std::binary_search(begin(a), end(a), static_cast<int32_t>(b));
}

std::string Graph::Encode() const {
  TensorMap m;
  m.Put("offsets", Tensor::FromVector<int64_t>({static_cast<int64_t>(offsets_.size())}, offsets_));
  m.Put("neighbors",
        Tensor::FromVector<int32_t>({static_cast<int64_t>(neighbors_.size())}, neighbors_));
  m.Put("communities",
        Tensor::FromVector<int64_t>({static_cast<int64_t>(communities_.size())}, communities_));
  std::string joined;
  for (const auto& n : names_) joined += n + '\n';
  m.Put("names", Tensor::FromVector<uint8_t>({static_cast<int64_t>(joined.size())},
                                             std::vector<uint8_t>(joined.begin(), joined.end())));
  return m.Encode();
}

StatusOr<Graph> Graph::Decode(std::string_view bytes) {
  SM_ASSIGN_OR_RETURN(TensorMap m, TensorMap::Decode(bytes));
  SM_ASSIGN_OR_RETURN(const Tensor* offsets, m.Get("offsets"));
  SM_ASSIGN_OR_RETURN(const Tensor* neighbors, m.Get("neighbors"));
  SM_ASSIGN_OR_RETURN(const Tensor* communities, m.Get("communities"));
  SM_ASSIGN_OR_RETURN(const Tensor* names, m.Get("names"));
  if (offsets->dtype() != DType::kInt64 || neighbors->dtype() != DType::kInt32 ||
      communities->dtype() != DType::kInt64 || offsets->numel() < 1) {
    return DataLossError("not a graph: wrong tensor types");
  }
  Graph g;
  g.offsets_.assign(offsets->data<int64_t>(), offsets->data<int64_t>() + offsets->numel());
  g.neighbors_.assign(neighbors->data<int32_t>(), neighbors->data<int32_t>() + neighbors->numel());
  g.communities_.assign(communities->data<int64_t>(),
                        communities->data<int64_t>() + communities->numel());
  const int64_t n = g.nodes();
  if (g.offsets_.front() != 0 || g.offsets_.back() != static_cast<int64_t>(g.neighbors_.size()) ||
      !std::is_sorted(g.offsets_.begin(), g.offsets_.end()) ||
      static_cast<int64_t>(g.communities_.size()) != n) {
    return DataLossError("not a graph: inconsistent offsets");
  }
  for (int32_t v : g.neighbors_) {
    if (v < 0 || v >= n) return DataLossError("not a graph: neighbour out of range");
  }
  std::string joined(names->raw_data(), names->nbytes());
  std::istringstream in(joined);
  std::string name;
  while (std::getline(in, name)) g.names_.push_back(name);
  if (static_cast<int64_t>(g.names_.size()) != n)
    return DataLossError("not a graph: names do not match nodes");
  return g;
}

StatusOr<Graph> ReadSnapEdgeList(const std::string& path) {
  SM_ASSIGN_OR_RETURN(auto lines, DataLines(path));
  std::unordered_map<std::string, int64_t> index;
  std::vector<std::string> names;
  std::vector<std::pair<int64_t, int64_t>> edges;
  edges.reserve(lines.size());
  auto id = [&](const std::string& name) {
    auto [it, inserted] = index.emplace(name, static_cast<int64_t>(names.size()));
    if (inserted) names.push_back(name);
    return it->second;
  };
  for (const auto& [number, line] : lines) {
    std::vector<std::string> f = Fields(line);
    if (f.size() < 2) {
      return InvalidArgumentError(path + ":" + std::to_string(number) +
                                  ": expected two node ids, got '" + line.substr(0, 80) + "'");
    }
    if (f.size() > 3) {
      return InvalidArgumentError(path + ":" + std::to_string(number) +
                                  ": expected 'u v' (and at most a weight), got " +
                                  std::to_string(f.size()) + " fields");
    }
    const int64_t from = id(f[0]);  // in this order: names are numbered as they appear
    const int64_t to = id(f[1]);
    edges.emplace_back(from, to);
  }
  if (names.empty()) return InvalidArgumentError(path + ": no edges");
  if (names.size() > (size_t{1} << 31)) return ResourceExhaustedError(path + ": too many nodes");
  const int64_t n = static_cast<int64_t>(names.size());
  return Graph::FromEdges(n, edges, std::move(names));
}

Status ReadCommunities(const std::string& path, const std::string& format, Graph& graph) {
  SM_ASSIGN_OR_RETURN(auto lines, DataLines(path));
  std::unordered_map<std::string, int64_t> index;
  for (int64_t v = 0; v < graph.nodes(); ++v) index[graph.name(v)] = v;
  bool labels = format == "labels";
  if (format == "auto") {
    labels = std::all_of(lines.begin(), lines.end(),
                         [](const auto& l) { return Fields(l.second).size() == 2; });
  } else if (format != "lines" && format != "labels") {
    return InvalidArgumentError("community format must be lines, labels or auto, got '" + format +
                                "'");
  }
  std::vector<int64_t>& community = graph.communities();
  community.assign(graph.nodes(), -1);
  std::unordered_map<std::string, int64_t> label_ids;
  int64_t next = 0;
  for (const auto& numbered : lines) {
    const auto number = numbered.first;  // a plain variable: lambdas cannot capture bindings
    const std::string& line = numbered.second;
    std::vector<std::string> f = Fields(line);
    auto node = [&](const std::string& name) -> StatusOr<int64_t> {
      auto it = index.find(name);
      if (it == index.end()) {
        return InvalidArgumentError(path + ":" + std::to_string(number) + ": node '" + name +
                                    "' is not in the graph");
      }
      return it->second;
    };
    if (labels) {
      if (f.size() != 2) {
        return InvalidArgumentError(path + ":" + std::to_string(number) +
                                    ": expected 'node label'");
      }
      SM_ASSIGN_OR_RETURN(int64_t v, node(f[0]));
      auto [it, inserted] = label_ids.emplace(f[1], next);
      if (inserted) ++next;
      if (community[v] < 0) community[v] = it->second;
    } else {
      for (const std::string& name : f) {
        SM_ASSIGN_OR_RETURN(int64_t v, node(name));
        if (community[v] < 0) community[v] = next;
      }
      ++next;
    }
  }
  return OkStatus();
}

}  // namespace securemark::graph
