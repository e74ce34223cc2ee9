// evaluate.tracing: how well real investigations named the colluders. Pairs each
// detector accusation with the coalition that produced the suspect model and reports
// detection, false alarm and exact-set rates per coalition size, in the same rows as
// evaluate.collusion so report.collusion_table can set them side by side. Without
// coalitions every suspect is an innocent model (not derived from any customer's copy):
// one row with K = 0, where any accusation is a false one.
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "domain/domain_values.h"
#include "rate_json.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class TracingEvaluation : public Node {
 public:
  static constexpr Input<domain::Accusation> kAccusations{"accusations", "Detector outputs.",
                                                          kMany};
  static constexpr Input<domain::Coalition> kCoalitions{
      "coalitions",
      "attacker.collude coalitions, in the same order (absent: the suspects are innocent models).",
      kMany | kOptional};
  static constexpr Output<JsonDocument> kReport{"report", "Rates per coalition size."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};
  static constexpr Param<std::vector<int64_t>> kCustomers{
      "customers", "[]", "Customer behind each coalition member index (empty: index = customer)."};
  static constexpr Param<std::string> kLabel{"label", "models", "Name of this evaluation."};

  static Contract GetContract() {
    return Contract::Build("1.1.0", "Scores accusations against the true coalitions.", kAccusations,
                           kCoalitions, kReport, kTable, kCustomers, kLabel);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(std::vector<domain::Accusation> accusations, ctx.GetAll(kAccusations));
    std::vector<domain::Coalition> coalitions;
    const bool innocent = !ctx.Has(kCoalitions);
    if (innocent) {
      coalitions.assign(accusations.size(), domain::Coalition(JsonDocument(R"({"members": []})")));
    } else {
      SM_ASSIGN_OR_RETURN(coalitions, ctx.GetAll(kCoalitions));
    }
    if (accusations.size() != coalitions.size()) {
      return InvalidArgumentError(std::to_string(accusations.size()) + " accusations but " +
                                  std::to_string(coalitions.size()) + " coalitions");
    }
    const std::vector<int64_t> customers = ctx.Get(kCustomers);
    struct Tally {
      int64_t trials = 0, caught = 0, colluders = 0, false_accused = 0, innocents = 0, exact = 0,
              accused = 0, accusing = 0, provenance_shown = 0;
    };
    std::map<int64_t, Tally> by_k;
    std::string codebook, detector;
    int64_t users = 0, length = 0;
    for (size_t t = 0; t < accusations.size(); ++t) {
      const nlohmann::json a = nlohmann::json::parse(accusations[t].text(), nullptr, false);
      const nlohmann::json c = nlohmann::json::parse(coalitions[t].text(), nullptr, false);
      const std::string where = "trial " + std::to_string(t);
      if (!a.is_object() || !a.contains("accused") || !a.contains("users")) {
        return InvalidArgumentError(where + ": input 'accusations' is not a detector output");
      }
      if (!c.is_object() || !c.contains("members")) {
        return InvalidArgumentError(where +
                                    ": input 'coalitions' is not an attacker.collude output");
      }
      std::set<int64_t> truth, accused;
      for (int64_t m : c["members"].get<std::vector<int64_t>>()) {
        if (!customers.empty() && (m < 0 || m >= static_cast<int64_t>(customers.size()))) {
          return InvalidArgumentError(where + ": member " + std::to_string(m) +
                                      " has no entry in 'customers'");
        }
        truth.insert(customers.empty() ? m : customers[m]);
      }
      for (const auto& entry : a["accused"]) accused.insert(entry.at("user").get<int64_t>());
      users = a["users"].get<int64_t>();
      length = a.value("length", int64_t{0});
      codebook = a.value("codebook", "");
      detector = a.value("method", "");
      Tally& tally = by_k[static_cast<int64_t>(truth.size())];
      ++tally.trials;
      tally.colluders += static_cast<int64_t>(truth.size());
      tally.innocents += users - static_cast<int64_t>(truth.size());
      tally.accused += static_cast<int64_t>(accused.size());
      for (int64_t u : accused) (truth.count(u) ? tally.caught : tally.false_accused) += 1;
      tally.exact += accused == truth;
      tally.accusing += !accused.empty();
      tally.provenance_shown += a.value("decided_by", std::string()) == "identification";
    }
    nlohmann::json rows = nlohmann::json::array();
    std::ostringstream csv;
    csv << "label,codebook,k,trials,detection,false_alarm,exact,mean_accused,accusing,"
           "accusing_high,provenance_shown\n";
    for (const auto& [k, s] : by_k) {
      const codes::Rate detection = codes::WilsonRate(s.caught, s.colluders);
      const codes::Rate false_alarm = codes::WilsonRate(s.false_accused, s.innocents);
      const codes::Rate exact = codes::WilsonRate(s.exact, s.trials);
      const double mean_accused = static_cast<double>(s.accused) / s.trials;
      // For innocent models: how many investigations named anyone at all.
      const codes::Rate accusing = codes::WilsonRate(s.accusing, s.trials);
      const codes::Rate provenance = codes::WilsonRate(s.provenance_shown, s.trials);
      rows.push_back({{"k", k},
                      {"trials", s.trials},
                      {"detection", evaluate::RateJson(detection)},
                      {"false_alarm", evaluate::RateJson(false_alarm)},
                      {"exact", evaluate::RateJson(exact)},
                      {"accusing", evaluate::RateJson(accusing)},
                      {"provenance_shown", evaluate::RateJson(provenance)},
                      {"mean_accused", mean_accused}});
      csv << '"' << ctx.Get(kLabel) << "\",\"" << codebook << "\"," << k << ',' << s.trials << ','
          << detection.value << ',' << false_alarm.value << ',' << exact.value << ','
          << mean_accused << ',' << accusing.value << ',' << accusing.high << ','
          << provenance.value << '\n';
      ctx.Info("K=" + std::to_string(k) + ": detection " + std::to_string(detection.value) +
               ", false alarm " + std::to_string(false_alarm.value) + " over " +
               std::to_string(s.trials) + " models");
    }
    nlohmann::json report = {{"label", ctx.Get(kLabel)},
                             {"codebook", codebook},
                             {"users", users},
                             {"length", length},
                             {"detector", detector},
                             {"source", "models"},
                             {"rows", rows},
                             {"suspects", innocent ? "innocent" : "coalitions"}};
    SM_RETURN_IF_ERROR(ctx.Set(kReport, JsonDocument(report.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::TracingEvaluation, evaluate, tracing)
