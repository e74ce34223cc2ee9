#include "report/run_summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

namespace securemark::report {
namespace {

using nlohmann::json;

std::string Fixed(double v, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

// p-values span hundreds of orders of magnitude: 0.67, 0.012, 2.1e-104.
std::string PValue(double p) {
  if (p >= 0.001) return Fixed(p, p >= 0.1 ? 2 : 3);
  std::ostringstream out;
  out.precision(2);
  out << p;
  return out.str();
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string Plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void StepsFinding(const std::vector<StepRecord>& steps, RunSummary& out) {
  std::map<std::string, size_t> by_state;
  for (const StepRecord& s : steps) ++by_state[s.state];
  std::vector<std::string> parts;
  for (const auto& [state, n] : by_state) parts.push_back(std::to_string(n) + " " + state);
  out.findings.push_back(
      {"Steps", Plural(steps.size(), "execution", "executions") + ": " + Join(parts, ", ") + "."});
}

// Customers served, and the accuracy the fingerprint cost against the model it was put in.
void CustomersFinding(const std::vector<StepRecord>& steps,
                      const std::vector<StepDocument>& documents, RunSummary& out) {
  size_t delivered = 0;
  for (const StepRecord& s : steps)
    delivered +=
        StartsWith(s.plugin, "delivery.") && (s.state == "complete" || s.state == "cached");
  std::vector<std::pair<std::string, double>> bases;
  std::vector<double> copies;
  std::set<int64_t> customers;
  for (const StepDocument& d : documents) {
    const json& doc = d.doc;
    const bool fingerprinted =
        (StartsWith(d.plugin, "embedder.") && doc.value("mu", 0.0) > 0) ||
        (StartsWith(d.plugin, "server_trainer.") && doc.contains("fingerprint"));
    double accuracy = -1;
    if (doc.contains("test_accuracy") && doc["test_accuracy"].is_number())
      accuracy = doc["test_accuracy"].get<double>();
    if (fingerprinted) {
      if (accuracy >= 0) copies.push_back(accuracy);
      if (doc.contains("customer") && doc["customer"].is_number_integer())
        customers.insert(doc["customer"].get<int64_t>());
    } else if (StartsWith(d.plugin, "server_trainer.") && accuracy >= 0) {
      bases.push_back({d.step, accuracy});
    } else if (StartsWith(d.plugin, "model.") && doc.contains("sample") &&
               doc["sample"].value("accuracy", -1.0) >= 0) {
      bases.push_back({d.step, doc["sample"]["accuracy"].get<double>()});
    }
  }
  if (delivered == 0 && customers.empty() && copies.empty()) return;
  std::string sentence;
  if (delivered > 0) {
    sentence = Plural(delivered, "fingerprinted copy", "fingerprinted copies") + " delivered";
  } else {
    sentence = Plural(std::max(customers.size(), copies.size()), "fingerprinted copy",
                      "fingerprinted copies") +
               " made (none delivered in this run)";
  }
  if (!copies.empty()) {
    double mean = 0;
    for (double a : copies) mean += a / static_cast<double>(copies.size());
    const double low = *std::min_element(copies.begin(), copies.end());
    sentence +=
        "; their test accuracy is " + Fixed(mean, 3) + " on average (lowest " + Fixed(low, 3) + ")";
    if (bases.size() == 1) {
      const double cost = 100 * (bases[0].second - mean);
      sentence += ", against " + Fixed(bases[0].second, 3) +
                  " for the model they were made from (" + bases[0].first + "): " +
                  (cost >= 0 ? "a cost of " + Fixed(cost, 2) : "a gain of " + Fixed(-cost, 2)) +
                  " points";
    } else if (bases.size() > 1) {
      std::vector<std::string> parts;
      for (const auto& [step, a] : bases) parts.push_back(step + " " + Fixed(a, 3));
      sentence += "; the models they were made from: " + Join(parts, ", ");
    }
  }
  out.findings.push_back({"Customers", sentence + "."});
}

// Detection and false alarm per coalition size, one row per label (and detector, attack).
void DetectionTable(const std::vector<std::pair<std::string, CsvTable>>& tables, RunSummary& out) {
  std::map<std::string, std::map<int64_t, std::pair<double, double>>> rows;
  std::set<int64_t> ks;
  for (const auto& [name, t] : tables) {
    const auto k = t.Column("k"), det = t.Column("detection"), fa = t.Column("false_alarm");
    if (!k || !det || !fa) continue;
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto kv = t.Number(r, *k), dv = t.Number(r, *det), fv = t.Number(r, *fa);
      if (!kv || !dv || !fv) continue;
      std::vector<std::string> key;
      for (const char* c : {"label", "detector", "attack", "strength"}) {
        if (auto col = t.Column(c); col && !t.rows[r][*col].empty()) key.push_back(t.rows[r][*col]);
      }
      if (key.empty()) key.push_back(name);
      // Tables that gather others repeat their rows; the first one seen stands.
      rows[Join(key, ", ")].emplace(static_cast<int64_t>(*kv), std::make_pair(*dv, *fv));
      ks.insert(static_cast<int64_t>(*kv));
    }
  }
  if (rows.empty()) return;
  SummaryTable table{"Detection / false alarm per number of colluders K", {"tracing"}, {}};
  for (int64_t k : ks) table.columns.push_back("K=" + std::to_string(k));
  double worst_alarm = 0;
  for (const auto& [key, by_k] : rows) {
    std::vector<std::string> row = {key};
    for (int64_t k : ks) {
      auto it = by_k.find(k);
      row.push_back(
          it == by_k.end() ? "" : Fixed(it->second.first, 2) + " / " + Fixed(it->second.second, 3));
      if (it != by_k.end()) worst_alarm = std::max(worst_alarm, it->second.second);
    }
    table.rows.push_back(std::move(row));
  }
  out.tables.push_back(std::move(table));
  out.findings.push_back(
      {"Tracing", Plural(rows.size(), "setting", "settings") + " traced at K = " +
                      std::to_string(*ks.begin()) + ".." + std::to_string(*ks.rbegin()) +
                      "; the highest false alarm (share of innocents accused) is " +
                      Fixed(worst_alarm, 3) + ". Per K in the table below."});
}

std::string AccusedText(const json& accused) {
  std::vector<std::string> parts;
  for (const json& e : accused) {
    std::string part = "customer " + e.value("user", json()).dump();
    if (e.contains("p_value") && e["p_value"].is_number())
      part += " (p " + PValue(e["p_value"].get<double>()) + ")";
    parts.push_back(part);
  }
  return Join(parts, ", ");
}

// Investigations: who was accused, with what confidence, at which stage.
void AccusationFindings(const std::vector<StepDocument>& documents, RunSummary& out) {
  std::vector<const StepDocument*> verdicts;
  for (const StepDocument& d : documents)
    if (d.doc.contains("decided_by") && d.doc.contains("accused")) verdicts.push_back(&d);
  if (verdicts.empty()) return;
  if (verdicts.size() > 3) {  // an evaluation: the detection table says it better
    size_t someone = 0;
    for (const StepDocument* d : verdicts) someone += !d->doc["accused"].empty();
    out.findings.push_back(
        {"Investigations", Plural(verdicts.size(), "suspect model", "suspect models") +
                               " investigated; " + std::to_string(someone) +
                               " led to accusations, " + std::to_string(verdicts.size() - someone) +
                               " to none."});
    return;
  }
  for (const StepDocument* d : verdicts) {
    const json& v = d->doc;
    double provenance_p = -1;
    if (v.contains("provenance") && v["provenance"].is_object())
      provenance_p = v["provenance"].value("p_value", -1.0);
    std::string sentence;
    if (v.value("decided_by", std::string()) == "provenance") {
      sentence =
          "Nobody accused: stage 1 (provenance) found no evidence that the suspect derives "
          "from this deployment";
      if (provenance_p >= 0) sentence += " (p " + PValue(provenance_p) + ")";
    } else if (v["accused"].empty()) {
      sentence = "Nobody accused: the suspect derives from this deployment";
      if (provenance_p >= 0) sentence += " (stage 1, p " + PValue(provenance_p) + ")";
      sentence += ", but no customer's fingerprint passed stage 2 (identification)";
    } else {
      sentence = "Accused " + AccusedText(v["accused"]) +
                 " at stage 2 (identification), after stage 1 (provenance) showed the suspect "
                 "derives from this deployment";
      if (provenance_p >= 0) sentence += " (p " + PValue(provenance_p) + ")";
    }
    out.findings.push_back({"Verdict (" + d->step + ")", sentence + "."});
  }
}

// Privacy: per defender setup, the accuracy and the best attack's SSIM. With a verdict
// column (report.privacy_table 2), only setups that kept their accuracy are credited with
// lowering the SSIM; those that lost it are named as such.
void PrivacyTable(const std::vector<std::pair<std::string, CsvTable>>& tables, RunSummary& out) {
  struct Setup {
    double accuracy = -1, ssim = -1;
    std::string attack, verdict;
  };
  std::vector<std::pair<std::string, Setup>> setups;
  for (const auto& [name, t] : tables) {
    const auto setup = t.Column("setup"), attack = t.Column("attack");
    const auto ssim = t.Column("best_ssim") ? t.Column("best_ssim") : t.Column("ssim");
    if (!setup || !attack || !ssim) continue;
    const auto accuracy = t.Column("test_accuracy"), verdict = t.Column("verdict");
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const std::string& s = t.rows[r][*setup];
      auto it = std::find_if(setups.begin(), setups.end(), [&](auto& p) { return p.first == s; });
      if (it == setups.end()) it = setups.insert(setups.end(), {s, Setup{}});
      const auto v = t.Number(r, *ssim);
      if (v && *v > it->second.ssim) {
        it->second.ssim = *v;
        it->second.attack = t.rows[r][*attack];
      }
      if (accuracy && t.Number(r, *accuracy)) it->second.accuracy = *t.Number(r, *accuracy);
      if (verdict) it->second.verdict = t.rows[r][*verdict];
    }
  }
  if (setups.empty()) return;
  const bool verdicts = !setups.front().second.verdict.empty();
  SummaryTable table{"Privacy: the strongest reconstruction attack per setup",
                     {"setup", "test accuracy", "best attack", "its SSIM"},
                     {}};
  if (verdicts) table.columns.push_back("verdict");
  for (const auto& [name, s] : setups) {
    table.rows.push_back({name, s.accuracy >= 0 ? Fixed(s.accuracy, 3) : "", s.attack,
                          s.ssim >= 0 ? Fixed(s.ssim, 3) : ""});
    if (verdicts) table.rows.back().push_back(s.verdict);
  }
  out.tables.push_back(std::move(table));
  const auto& first = setups.front().second;
  auto credited = [&](const Setup& s) { return !verdicts || s.verdict == "protects"; };
  auto best = setups.end();
  for (auto it = setups.begin() + 1; it != setups.end(); ++it)
    if (credited(it->second) && (best == setups.end() || it->second.ssim < best->second.ssim))
      best = it;
  std::string sentence = "Without a defence (" + setups.front().first +
                         ") the best attack reconstructs with SSIM " + Fixed(first.ssim, 3);
  if (best != setups.end())
    sentence += "; " + best->first + " lowers it to " + Fixed(best->second.ssim, 3) +
                (best->second.accuracy >= 0 && first.accuracy >= 0
                     ? " at " + Fixed(100 * (first.accuracy - best->second.accuracy), 1) +
                           " points of accuracy"
                     : "");
  else if (verdicts)
    sentence += "; no defended setup lowers it while keeping its accuracy";
  std::string lost;
  for (const auto& [name, s] : setups)
    if (s.verdict == "accuracy lost") lost += (lost.empty() ? "" : ", ") + name;
  if (!lost.empty())
    sentence += " (not credited, their accuracy fell past the margin: " + lost + ")";
  out.findings.push_back({"Privacy", sentence + " (1 = a perfect copy of the image)."});
}

}  // namespace

RunSummary Summarise(const std::vector<StepRecord>& steps,
                     const std::vector<StepDocument>& documents,
                     const std::vector<std::pair<std::string, CsvTable>>& tables) {
  RunSummary out;
  StepsFinding(steps, out);
  CustomersFinding(steps, documents, out);
  AccusationFindings(documents, out);
  DetectionTable(tables, out);
  PrivacyTable(tables, out);
  return out;
}

std::vector<std::vector<std::string>> ParameterRows(const json& params) {
  std::vector<std::vector<std::string>> rows;
  if (!params.is_object()) return rows;
  for (const auto& [name, value] : params.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.size() > 160) text = text.substr(0, 157) + "...";
    rows.push_back({name, text});
  }
  return rows;
}

}  // namespace securemark::report
