// report.community_table: evaluate.community_codes reports side by side, one row per
// (graph, generator, length): ROC AUC and MAP of the Hamming ranking beside the base
// rate, precision and recall at d <= 1 and at d <= bits/4, and screening ("community
// ranked first") beside random codes for every coalition size.
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "securemark/node.h"

namespace securemark {
namespace {

class CommunityTable : public Node {
 public:
  static constexpr Input<JsonDocument> kReports{"reports", "evaluate.community_codes reports.",
                                                kMany};
  static constexpr Output<JsonDocument> kSummary{"summary", "One row per report."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Collects community-code evaluations into one table.", kReports,
                           kSummary, kTable);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> reports, ctx.GetAll(kReports));
    std::vector<nlohmann::json> parsed;
    std::set<int64_t> sizes;
    for (size_t i = 0; i < reports.size(); ++i) {
      nlohmann::json r = nlohmann::json::parse(reports[i].text(), nullptr, false);
      if (!r.is_object() || !r.contains("ranking") || !r.contains("preservation") ||
          !r["preservation"].is_array() || r["preservation"].size() < 2 ||
          !r.contains("screening")) {
        return InvalidArgumentError("input 'reports'[" + std::to_string(i) +
                                    "] is not an evaluate.community_codes 2.x report");
      }
      for (const auto& s : r["screening"]) sizes.insert(s["k"].get<int64_t>());
      parsed.push_back(std::move(r));
    }
    std::ostringstream csv;
    csv << "label,bits,auc,map,base_rate,precision_d1,recall_d1,dist,precision_dist,recall_dist";
    for (int64_t k : sizes) csv << ",first_k" << k << ",random_k" << k;
    csv << '\n';
    nlohmann::json rows = nlohmann::json::array();
    for (const nlohmann::json& r : parsed) {
      const auto& at1 = r["preservation"][1];
      const auto& far = r["preservation"].back();
      nlohmann::json row = {{"label", r.value("label", "")},
                            {"bits", r["bits"]},
                            {"auc", r["ranking"]["auc"]},
                            {"map", r["ranking"]["mean_average_precision"]},
                            {"base_rate", r["ranking"]["base_rate"]},
                            {"precision_d1", at1["precision"]},
                            {"recall_d1", at1["recall"]},
                            {"dist", far["dist"]},
                            {"precision_dist", far["precision"]},
                            {"recall_dist", far["recall"]},
                            {"screening", r["screening"]}};
      csv << '"' << row["label"].get<std::string>() << "\"," << row["bits"] << ',' << row["auc"]
          << ',' << row["map"] << ',' << row["base_rate"] << ',' << row["precision_d1"] << ','
          << row["recall_d1"] << ',' << row["dist"] << ',' << row["precision_dist"] << ','
          << row["recall_dist"];
      for (int64_t k : sizes) {
        nlohmann::json found;
        for (const auto& s : r["screening"]) {
          if (s["k"] == k) found = s;
        }
        if (found.is_null())
          csv << ",,";
        else
          csv << ',' << found["community_first"] << ','
              << found.value("community_first_random", -1.0);
      }
      csv << '\n';
      rows.push_back(std::move(row));
    }
    ctx.Info("\n" + csv.str());
    SM_RETURN_IF_ERROR(ctx.Set(kSummary, JsonDocument(nlohmann::json{{"rows", rows}}.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CommunityTable, report, community_table)
