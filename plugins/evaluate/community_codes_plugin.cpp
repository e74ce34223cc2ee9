// evaluate.community_codes: how well community codes preserve the ground-truth
// communities (accuracy, precision, recall of "Hamming distance <= dist means same
// community") and how well they screen colluders' communities.
#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "graph/codes_table.h"
#include "graph/community_eval.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class CommunityCodeEvaluation : public Node {
 public:
  static constexpr Input<graph::Graph> kGraph{"graph", "Graph with ground-truth communities."};
  static constexpr Input<domain::CommunityCodes> kCodes{"codes",
                                                        "Community codes (crc.nph, crc.random)."};
  static constexpr Output<JsonDocument> kReport{"report",
                                                "Preservation per distance and screening per K."};
  static constexpr Output<Blob> kTable{"table", "Preservation as CSV."};
  static constexpr Param<int64_t> kMaxDist{
      "max_dist", -1,
      "Largest Hamming distance predicted 'same' (-1: a quarter of the bits, at least 3).",
      Range{-1, 64}};
  static constexpr Param<int64_t> kMaxPairs{
      "max_pairs", 10000000, "All pairs up to this many, else a sample.", Range{1000, 1e10}};
  static constexpr Param<std::vector<int64_t>> kSizes{
      "coalition_sizes", "[1, 3, 5, 10]", "Colluders from one community, for screening."};
  static constexpr Param<int64_t> kTrials{"trials", 500, "Screening trials per size.",
                                          Range{1, 1e8}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Random seed.", Range{0, 9.2e18}};
  static constexpr Param<std::string> kLabel{"label", "", "Name in reports."};

  static Contract GetContract() {
    return Contract::Build(
        "2.0.0",
        "Neighbourhood preservation (precision and recall per distance, ROC AUC and mean "
        "average precision of the Hamming ranking) and community screening of community "
        "codes, beside uniform random codes of the same length.",
        kGraph, kCodes, kReport, kTable, kMaxDist, kMaxPairs, kSizes, kTrials, kSeed, kLabel);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(graph::Graph g, ctx.Get(kGraph));
    SM_ASSIGN_OR_RETURN(domain::CommunityCodes table, ctx.Get(kCodes));
    SM_ASSIGN_OR_RETURN(graph::NphResult codes, graph::CodesFromTable(table));
    if (static_cast<int64_t>(codes.codes.size()) != g.nodes()) {
      return InvalidArgumentError("codes cover " + std::to_string(codes.codes.size()) +
                                  " customers but the graph has " + std::to_string(g.nodes()));
    }
    const uint64_t seed = static_cast<uint64_t>(ctx.Get(kSeed));
    const int64_t max_dist =
        ctx.Get(kMaxDist) >= 0 ? ctx.Get(kMaxDist) : std::max<int64_t>(3, codes.bits / 4);
    auto rows =
        graph::NeighborhoodPreservation(codes, g.communities(), max_dist, ctx.Get(kMaxPairs), seed);
    const graph::RankingQuality ranking =
        graph::PairRanking(codes, g.communities(), ctx.Get(kMaxPairs), seed);
    auto screening =
        graph::ScreenCommunities(codes, g.communities(), ctx.Get(kSizes), ctx.Get(kTrials), seed);
    const std::string label = ctx.Get(kLabel);
    nlohmann::json report = {{"label", label},
                             {"bits", codes.bits},
                             {"ranking",
                              {{"auc", ranking.auc},
                               {"mean_average_precision", ranking.mean_average_precision},
                               {"base_rate", ranking.base_rate},
                               {"pairs", ranking.pairs},
                               {"queries", ranking.queries}}},
                             {"preservation", nlohmann::json::array()},
                             {"screening", nlohmann::json::array()}};
    std::ostringstream csv;
    csv << "label,bits,dist,accuracy,precision,recall,same_community_share,pairs\n";
    for (const auto& r : rows) {
      report["preservation"].push_back({{"dist", r.dist},
                                        {"accuracy", r.accuracy},
                                        {"precision", r.precision},
                                        {"recall", r.recall},
                                        {"same_community_share", r.same_community_share},
                                        {"pairs", r.pairs}});
      csv << '"' << label << "\"," << codes.bits << ',' << r.dist << ',' << r.accuracy << ','
          << r.precision << ',' << r.recall << ',' << r.same_community_share << ',' << r.pairs
          << '\n';
    }
    for (const auto& s : screening) {
      report["screening"].push_back(
          {{"k", s.k},
           {"trials", s.trials},
           {"community_first", s.community_first},
           {"community_first_random", s.community_first_random},
           {"margin_over_random", s.community_first - s.community_first_random},
           {"mean_community_rank", s.mean_community_rank},
           {"mean_colluder_percentile", s.mean_colluder_percentile}});
    }
    ctx.Info(label + ": AUC " + std::to_string(ranking.auc) + ", MAP " +
             std::to_string(ranking.mean_average_precision) + " (base rate " +
             std::to_string(ranking.base_rate) + "); screening " + report["screening"].dump());
    SM_RETURN_IF_ERROR(ctx.Set(kReport, JsonDocument(report.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CommunityCodeEvaluation, evaluate, community_codes)
