#include "graph/community_eval.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>

namespace securemark::graph {

namespace {

using DistanceCounts = std::vector<std::array<int64_t, 2>>;  // [distance][same community]

std::vector<int64_t> LabelledNodes(const std::vector<int64_t>& communities) {
  std::vector<int64_t> nodes;
  for (size_t v = 0; v < communities.size(); ++v) {
    if (communities[v] >= 0) nodes.push_back(static_cast<int64_t>(v));
  }
  return nodes;
}

// Pairs at each Hamming distance, by whether they share a community: all pairs of
// labelled nodes when there are at most max_pairs, else max_pairs random ones.
DistanceCounts CountPairs(const NphResult& codes, const std::vector<int64_t>& communities,
                          int64_t max_pairs, uint64_t seed) {
  const std::vector<int64_t> nodes = LabelledNodes(communities);
  const int64_t n = static_cast<int64_t>(nodes.size());
  DistanceCounts counts(65, {0, 0});
  auto count = [&](int64_t a, int64_t b) {
    ++counts[HammingDistance(codes.codes[a], codes.codes[b])][communities[a] == communities[b]];
  };
  if (n * (n - 1) / 2 <= max_pairs) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) count(nodes[i], nodes[j]);
    }
  } else {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    for (int64_t p = 0; p < max_pairs; ++p) {
      int64_t a = pick(rng), b = pick(rng);
      if (a == b) continue;
      count(nodes[a], nodes[b]);
    }
  }
  return counts;
}

}  // namespace

std::vector<PreservationRow> NeighborhoodPreservation(const NphResult& codes,
                                                      const std::vector<int64_t>& communities,
                                                      int64_t max_dist, int64_t max_pairs,
                                                      uint64_t seed) {
  const DistanceCounts counts = CountPairs(codes, communities, max_pairs, seed);
  int64_t total = 0, same_total = 0;
  for (const auto& c : counts) {
    total += c[0] + c[1];
    same_total += c[1];
  }
  std::vector<PreservationRow> rows;
  int64_t predicted_same = 0, true_same = 0;  // cumulative up to dist
  for (int64_t d = 0; d <= max_dist; ++d) {
    predicted_same += counts[d][0] + counts[d][1];
    true_same += counts[d][1];
    PreservationRow row;
    row.dist = d;
    row.pairs = total;
    const int64_t correct = true_same + ((total - same_total) - (predicted_same - true_same));
    row.accuracy = total ? static_cast<double>(correct) / total : 0;
    row.precision = predicted_same ? static_cast<double>(true_same) / predicted_same : 0;
    row.recall = same_total ? static_cast<double>(true_same) / same_total : 0;
    row.same_community_share = total ? static_cast<double>(same_total) / total : 0;
    rows.push_back(row);
  }
  return rows;
}

RankingQuality PairRanking(const NphResult& codes, const std::vector<int64_t>& communities,
                           int64_t max_pairs, uint64_t seed) {
  RankingQuality q;
  const DistanceCounts counts = CountPairs(codes, communities, max_pairs, seed);
  // AUC = P(d_same < d_other) + P(d_same = d_other) / 2, from the histograms.
  double same = 0, other = 0, wins = 0, other_below = 0;
  for (const auto& c : counts) {
    same += static_cast<double>(c[1]);
    other += static_cast<double>(c[0]);
  }
  for (const auto& c : counts) {
    wins += static_cast<double>(c[1]) * (other - other_below - 0.5 * static_cast<double>(c[0]));
    other_below += static_cast<double>(c[0]);
  }
  q.pairs = static_cast<int64_t>(same + other);
  q.base_rate = q.pairs ? same / static_cast<double>(q.pairs) : 0;
  q.auc = same > 0 && other > 0 ? wins / (same * other) : 0.5;

  const std::vector<int64_t> nodes = LabelledNodes(communities);
  const int64_t n = static_cast<int64_t>(nodes.size());
  if (n < 2) return q;
  std::vector<int64_t> queries = nodes;
  const int64_t wanted = std::max<int64_t>(1, std::min<int64_t>(n, max_pairs / n));
  if (wanted < n) {
    std::mt19937_64 rng(seed + 1);
    std::shuffle(queries.begin(), queries.end(), rng);
    queries.resize(wanted);
  }
  double ap_sum = 0;
  int64_t answered = 0;
  DistanceCounts per(65);
  for (int64_t query : queries) {
    std::fill(per.begin(), per.end(), std::array<int64_t, 2>{0, 0});
    for (int64_t v : nodes) {
      if (v == query) continue;
      ++per[HammingDistance(codes.codes[query], codes.codes[v])]
           [communities[v] == communities[query]];
    }
    int64_t relevant = 0;
    for (const auto& c : per) relevant += c[1];
    if (relevant == 0) continue;
    double ap = 0;
    int64_t retrieved = 0, hits = 0;
    for (const auto& c : per) {
      retrieved += c[0] + c[1];
      hits += c[1];
      if (c[1] > 0) ap += static_cast<double>(c[1]) * hits / static_cast<double>(retrieved);
    }
    ap_sum += ap / static_cast<double>(relevant);
    ++answered;
  }
  q.queries = answered;
  q.mean_average_precision = answered ? ap_sum / static_cast<double>(answered) : 0;
  return q;
}

namespace {

// Screening trials for one coalition size with one set of codes; the trials depend only
// on `seed`, so two calls with different codes screen the same colluders.
ScreeningRow Screen(const NphResult& codes, const std::vector<int64_t>& communities,
                    const std::map<int64_t, std::vector<int64_t>>& members, int64_t k,
                    int64_t trials, uint64_t seed) {
  const int64_t bits = codes.bits;
  ScreeningRow row;
  row.k = k;
  std::vector<int64_t> eligible;
  for (const auto& [c, list] : members) {
    if (static_cast<int64_t>(list.size()) >= k) eligible.push_back(c);
  }
  if (eligible.empty() || trials <= 0) return row;
  // Each community's mean code.
  std::map<int64_t, std::vector<double>> mean;
  for (const auto& [c, list] : members) {
    std::vector<double>& m = mean[c];
    m.assign(bits, 0.0);
    for (int64_t v : list) {
      for (int64_t b = 0; b < bits; ++b) m[b] += (codes.codes[v] >> b) & 1;
    }
    for (double& x : m) x /= static_cast<double>(list.size());
  }
  std::mt19937_64 rng(seed);
  std::vector<double> average(bits);
  int64_t first = 0;
  double rank_sum = 0, percentile_sum = 0;
  for (int64_t t = 0; t < trials; ++t) {
    const int64_t community = eligible[rng() % eligible.size()];
    std::vector<int64_t> pool = members.at(community);
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(k);
    std::fill(average.begin(), average.end(), 0.0);
    for (int64_t v : pool) {
      for (int64_t b = 0; b < bits; ++b)
        average[b] += static_cast<double>((codes.codes[v] >> b) & 1) / k;
    }
    auto distance = [&](const std::vector<double>& m) {
      double d = 0;
      for (int64_t b = 0; b < bits; ++b) d += std::fabs(average[b] - m[b]);
      return d;
    };
    const double own = distance(mean[community]);
    int64_t rank = 1;
    for (const auto& [c, m] : mean) rank += c != community && distance(m) < own;
    first += rank == 1;
    rank_sum += static_cast<double>(rank);
    // Customers ranked by Hamming distance to the rounded average code.
    uint64_t rounded = 0;
    for (int64_t b = 0; b < bits; ++b) rounded |= static_cast<uint64_t>(average[b] > 0.5) << b;
    int64_t closer = 0, total = 0;
    const int own_distance = HammingDistance(codes.codes[pool[0]], rounded);
    for (size_t v = 0; v < communities.size(); ++v) {
      if (communities[v] < 0) continue;
      ++total;
      closer += HammingDistance(codes.codes[v], rounded) < own_distance;
    }
    percentile_sum += total ? static_cast<double>(closer) / total : 0;
  }
  row.trials = trials;
  row.community_first = static_cast<double>(first) / trials;
  row.mean_community_rank = rank_sum / trials;
  row.mean_colluder_percentile = percentile_sum / trials;
  return row;
}

}  // namespace

std::vector<ScreeningRow> ScreenCommunities(const NphResult& codes,
                                            const std::vector<int64_t>& communities,
                                            const std::vector<int64_t>& coalition_sizes,
                                            int64_t trials, uint64_t seed) {
  std::map<int64_t, std::vector<int64_t>> members;
  for (size_t v = 0; v < communities.size(); ++v) {
    if (communities[v] >= 0) members[communities[v]].push_back(static_cast<int64_t>(v));
  }
  const NphResult random = RandomCodes(static_cast<int64_t>(codes.codes.size()), codes.bits,
                                       seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<ScreeningRow> rows;
  for (int64_t k : coalition_sizes) {
    const uint64_t trial_seed = seed + static_cast<uint64_t>(k);
    ScreeningRow row = Screen(codes, communities, members, k, trials, trial_seed);
    row.community_first_random =
        Screen(random, communities, members, k, trials, trial_seed).community_first;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace securemark::graph
