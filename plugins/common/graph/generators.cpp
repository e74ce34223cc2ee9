#include "graph/generators.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <unordered_map>

namespace securemark::graph {
namespace {

// Draws from {lo..hi} with P(x) ∝ x^-exponent.
int64_t PowerLaw(std::mt19937_64& rng, double exponent, int64_t lo, int64_t hi) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double a = 1.0 - exponent;
  const double l = std::pow(static_cast<double>(lo), a),
               h = std::pow(static_cast<double>(hi) + 1, a);
  return std::clamp<int64_t>(static_cast<int64_t>(std::pow(l + u(rng) * (h - l), 1.0 / a)), lo, hi);
}

// Edges among `count` candidate pairs, each present with probability p: geometric skips.
template <typename Emit>
void SamplePairs(int64_t count, double p, std::mt19937_64& rng, Emit emit) {
  if (p <= 0 || count <= 0) return;
  if (p >= 1) {
    for (int64_t i = 0; i < count; ++i) emit(i);
    return;
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double log_q = std::log(1.0 - p);
  for (int64_t i = -1;;) {
    i += 1 + static_cast<int64_t>(std::floor(std::log(1.0 - u(rng)) / log_q));
    if (i >= count) break;
    emit(i);
  }
}

}  // namespace

Graph StochasticBlockModel(const std::vector<int64_t>& sizes, double p_in, double p_out,
                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> start{0};
  for (int64_t s : sizes) start.push_back(start.back() + s);
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (size_t a = 0; a < sizes.size(); ++a) {
    // Inside block a: pairs (i < j), enumerated row by row.
    const int64_t n = sizes[a];
    SamplePairs(n * (n - 1) / 2, p_in, rng, [&](int64_t k) {
      // k-th pair of the upper triangle.
      int64_t i = static_cast<int64_t>(
          (2 * n - 1 - std::sqrt((2.0 * n - 1) * (2.0 * n - 1) - 8.0 * k)) / 2);
      while (i > 0 && i * (2 * n - i - 1) / 2 > k) --i;
      while ((i + 1) * (2 * n - i - 2) / 2 <= k) ++i;
      const int64_t j = k - i * (2 * n - i - 1) / 2 + i + 1;
      edges.emplace_back(start[a] + i, start[a] + j);
    });
    for (size_t b = a + 1; b < sizes.size(); ++b) {
      SamplePairs(sizes[a] * sizes[b], p_out, rng, [&](int64_t k) {
        edges.emplace_back(start[a] + k / sizes[b], start[b] + k % sizes[b]);
      });
    }
  }
  Graph g = Graph::FromEdges(start.back(), edges);
  for (size_t a = 0; a < sizes.size(); ++a) {
    for (int64_t v = start[a]; v < start[a + 1]; ++v) g.communities()[v] = static_cast<int64_t>(a);
  }
  return g;
}

Graph LfrGraph(const LfrOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> degree(o.nodes);
  for (auto& d : degree) d = PowerLaw(rng, o.degree_exponent, o.min_degree, o.max_degree);
  std::vector<int64_t> sizes;
  for (int64_t total = 0; total < o.nodes;) {
    int64_t s = std::min(PowerLaw(rng, o.community_exponent, o.min_community, o.max_community),
                         o.nodes - total);
    sizes.push_back(s);
    total += s;
  }
  std::vector<int64_t> order(o.nodes);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int64_t> community(o.nodes);
  std::vector<std::vector<int64_t>> inner_stubs(sizes.size());
  std::vector<int64_t> outer_stubs;
  size_t next = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    for (int64_t i = 0; i < sizes[c]; ++i, ++next) {
      const int64_t v = order[next];
      community[v] = static_cast<int64_t>(c);
      const int64_t inside =
          std::min<int64_t>(std::llround((1 - o.mixing) * degree[v]), sizes[c] - 1);
      for (int64_t s = 0; s < inside; ++s) inner_stubs[c].push_back(v);
      for (int64_t s = inside; s < degree[v]; ++s) outer_stubs.push_back(v);
    }
  }
  std::vector<std::pair<int64_t, int64_t>> edges;
  auto wire = [&](std::vector<int64_t>& stubs, bool across) {
    std::shuffle(stubs.begin(), stubs.end(), rng);
    for (size_t i = 0; i + 1 < stubs.size(); i += 2) {
      if (across && community[stubs[i]] == community[stubs[i + 1]]) continue;
      edges.emplace_back(stubs[i], stubs[i + 1]);
    }
  };
  for (auto& stubs : inner_stubs) wire(stubs, false);
  wire(outer_stubs, true);
  Graph g = Graph::FromEdges(o.nodes, edges);
  g.communities() = community;
  return g;
}

double Modularity(const Graph& g, const std::vector<int64_t>& c) {
  const double m2 = 2.0 * static_cast<double>(g.edges());
  if (m2 == 0) return 0;
  std::unordered_map<int64_t, double> inner, total;
  for (int64_t v = 0; v < g.nodes(); ++v) {
    total[c[v]] += static_cast<double>(g.degree(v));
    for (const int32_t* u = g.begin(v); u != g.end(v); ++u) {
      if (c[*u] == c[v]) inner[c[v]] += 1;
    }
  }
  double q = 0;
  for (const auto& [k, t] : total) q += inner[k] / m2 - (t / m2) * (t / m2);
  return q;
}

std::vector<int64_t> LouvainCommunities(const Graph& graph, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Weighted adjacency of the current level; self loops carry internal weight.
  using Adjacency = std::vector<std::vector<std::pair<int64_t, double>>>;
  Adjacency adj(graph.nodes());
  for (int64_t v = 0; v < graph.nodes(); ++v) {
    for (const int32_t* u = graph.begin(v); u != graph.end(v); ++u) adj[v].emplace_back(*u, 1.0);
  }
  std::vector<int64_t> membership(graph.nodes());
  std::iota(membership.begin(), membership.end(), 0);
  const double m2 = 2.0 * static_cast<double>(graph.edges());
  if (m2 == 0) return std::vector<int64_t>(graph.nodes(), 0);
  for (int level = 0; level < 32; ++level) {
    const int64_t n = static_cast<int64_t>(adj.size());
    std::vector<double> k(n, 0.0);
    for (int64_t v = 0; v < n; ++v) {
      for (const auto& [u, w] : adj[v]) k[v] += w;
    }
    std::vector<int64_t> comm(n);
    std::iota(comm.begin(), comm.end(), 0);
    std::vector<double> tot(k);
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    bool moved_any = false;
    std::unordered_map<int64_t, double> links;
    for (int pass = 0; pass < 100; ++pass) {
      std::shuffle(order.begin(), order.end(), rng);
      bool moved = false;
      for (int64_t v : order) {
        links.clear();
        for (const auto& [u, w] : adj[v]) {
          if (u != v) links[comm[u]] += w;
        }
        const int64_t own = comm[v];
        tot[own] -= k[v];
        int64_t best = own;
        double best_gain = links[own] - tot[own] * k[v] / m2;
        for (const auto& [c, w] : links) {
          const double gain = w - tot[c] * k[v] / m2;
          if (gain > best_gain + 1e-12) {
            best_gain = gain;
            best = c;
          }
        }
        comm[v] = best;
        tot[best] += k[v];
        if (best != own) moved = true;
      }
      if (!moved) break;
      moved_any = true;
    }
    if (!moved_any) break;
    // Renumber and aggregate communities into the next level's nodes.
    std::unordered_map<int64_t, int64_t> renumber;
    for (int64_t v = 0; v < n; ++v)
      renumber.emplace(comm[v], static_cast<int64_t>(renumber.size()));
    for (auto& m : membership) m = renumber[comm[m]];
    Adjacency next(renumber.size());
    std::vector<std::unordered_map<int64_t, double>> merged(renumber.size());
    for (int64_t v = 0; v < n; ++v) {
      for (const auto& [u, w] : adj[v]) merged[renumber[comm[v]]][renumber[comm[u]]] += w;
    }
    for (size_t c = 0; c < merged.size(); ++c) next[c].assign(merged[c].begin(), merged[c].end());
    adj = std::move(next);
  }
  // Number communities by size, largest first, for stable output.
  std::map<int64_t, int64_t> size;
  for (int64_t m : membership) ++size[m];
  std::vector<std::pair<int64_t, int64_t>> by_size(size.begin(), size.end());
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::unordered_map<int64_t, int64_t> final_id;
  for (size_t i = 0; i < by_size.size(); ++i) final_id[by_size[i].first] = static_cast<int64_t>(i);
  for (auto& m : membership) m = final_id[m];
  return membership;
}

}  // namespace securemark::graph
