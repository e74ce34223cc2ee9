// report.collusion_table: several collusion evaluations side by side, one row per
// (evaluation, coalition size), as JSON and CSV, so constructions can be compared.
// evaluate.robustness reports add the attack, its strength, the attacked models' test
// accuracy and the extraction accuracy to each row.
#include <sstream>

#include <nlohmann/json.hpp>

#include "securemark/node.h"

namespace securemark {
namespace {

// A rate's field, or -1 for reports that do not have that rate.
double Value(const nlohmann::json& row, const char* rate, const char* field) {
  if (!row.contains(rate) || !row[rate].is_object()) return -1;
  return row[rate].value(field, -1.0);
}

class CollusionTable : public Node {
 public:
  static constexpr Input<JsonDocument> kReports{
      "reports", "evaluate.collusion, evaluate.tracing or evaluate.robustness reports.", kMany};
  static constexpr Output<JsonDocument> kSummary{"summary", "Rows of all reports, side by side."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};

  static Contract GetContract() {
    return Contract::Build("1.1.0", "Collects collusion evaluations into one comparison table.",
                           kReports, kSummary, kTable);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> reports, ctx.GetAll(kReports));
    nlohmann::json rows = nlohmann::json::array();
    std::ostringstream csv;
    csv << "label,users,length,detector,k,trials,detection,false_alarm,false_alarm_high,"
           "innocents_accused,exact,accusing,accusing_high,provenance_shown,attack,strength,"
           "test_accuracy,extraction_accuracy\n";
    for (const JsonDocument& doc : reports) {
      nlohmann::json r = nlohmann::json::parse(doc.text(), nullptr, false);
      if (!r.is_object() || !r.contains("rows"))
        return InvalidArgumentError("an input is not a collusion report");
      for (const auto& row : r["rows"]) {
        rows.push_back({{"label", r.value("label", "")},
                        {"users", r.value("users", 0)},
                        {"length", r.value("length", 0)},
                        {"detector", r.value("detector", "")},
                        {"k", row["k"]},
                        {"trials", row.value("trials", 0)},
                        {"detection", row["detection"]["value"]},
                        {"false_alarm", row["false_alarm"]["value"]},
                        {"false_alarm_high", row["false_alarm"]["high"]},
                        {"innocents_accused", row["false_alarm"]["count"]},
                        {"exact", row["exact"]["value"]},
                        {"accusing", Value(row, "accusing", "value")},
                        {"accusing_high", Value(row, "accusing", "high")},
                        {"provenance_shown", Value(row, "provenance_shown", "value")},
                        {"attack", r.value("attack", "")},
                        {"strength", row.value("strength", 0.0)},
                        {"test_accuracy", row.value("test_accuracy", -1.0)},
                        {"extraction_accuracy", row.value("extraction_accuracy", -1.0)}});
        const auto& last = rows.back();
        csv << '"' << last["label"].get<std::string>() << "\"," << last["users"] << ','
            << last["length"] << ',' << last["detector"].get<std::string>() << ',' << last["k"]
            << ',' << last["trials"] << ',' << last["detection"] << ',' << last["false_alarm"]
            << ',' << last["false_alarm_high"] << ',' << last["innocents_accused"] << ','
            << last["exact"] << ',' << last["accusing"] << ',' << last["accusing_high"] << ','
            << last["provenance_shown"] << ',' << last["attack"].get<std::string>() << ','
            << last["strength"] << ',' << last["test_accuracy"] << ','
            << last["extraction_accuracy"] << '\n';
      }
    }
    ctx.Info("\n" + csv.str());
    SM_RETURN_IF_ERROR(ctx.Set(kSummary, JsonDocument(nlohmann::json{{"rows", rows}}.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CollusionTable, report, collusion_table)
