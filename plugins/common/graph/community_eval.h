// How well community codes preserve communities, and how well they screen suspects.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/nph.h"

namespace securemark::graph {

// Pairs at Hamming distance <= dist are predicted "same community". Accuracy over pairs
// (the paper's measure), plus precision and recall of the "same" prediction, so that a
// constant or trivial code cannot look good. All pairs when there are at most max_pairs,
// else that many random pairs. Nodes without a community are left out.
struct PreservationRow {
  int64_t dist = 0;
  double accuracy = 0, precision = 0, recall = 0;
  double same_community_share = 0;  // base rate of "same" among the pairs
  int64_t pairs = 0;
};
std::vector<PreservationRow> NeighborhoodPreservation(const NphResult& codes,
                                                      const std::vector<int64_t>& communities,
                                                      int64_t max_dist, int64_t max_pairs,
                                                      uint64_t seed);

// Ranking pairs by Hamming distance, closest first, as a retrieval of "same community":
// the ROC AUC (ties count one half), and the mean over query nodes of the average
// precision of retrieving their community (ties: a whole distance level is retrieved at
// once, the precision at its end counting for each member). AUC 0.5 and MAP at the base
// rate mean the codes carry no community information. Pairs and queries are sampled as
// in NeighborhoodPreservation.
struct RankingQuality {
  double auc = 0.5;
  double mean_average_precision = 0;
  double base_rate = 0;  // share of pairs in one community
  int64_t pairs = 0, queries = 0;
};
RankingQuality PairRanking(const NphResult& codes, const std::vector<int64_t>& communities,
                           int64_t max_pairs, uint64_t seed);

// K colluders from one community average their models; the community part of the
// extracted fingerprint is the per-bit average of their codes. Communities are ranked by
// the L1 distance between that average and each community's mean code.
struct ScreeningRow {
  int64_t k = 0;
  int64_t trials = 0;
  double community_first = 0;      // share of trials where the colluders' community ranks first
  double mean_community_rank = 0;  // 1 = first
  double mean_colluder_percentile = 0;  // colluders' rank among all customers (0 = closest)
  // The same trials (same communities, same colluders) with uniform random codes of the
  // same length: what the codes have to beat.
  double community_first_random = 0;
};
std::vector<ScreeningRow> ScreenCommunities(const NphResult& codes,
                                            const std::vector<int64_t>& communities,
                                            const std::vector<int64_t>& coalition_sizes,
                                            int64_t trials, uint64_t seed);

}  // namespace securemark::graph
