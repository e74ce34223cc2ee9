#include "report/figures.h"

#include <map>
#include <set>

namespace securemark::report {
namespace {

// "detector=hard_threshold attack=prune 0.5", naming only the descriptors that vary.
std::string SeriesTitle(const CsvTable& t, size_t row, const std::vector<size_t>& varying) {
  std::string title;
  for (size_t c : varying) {
    if (!title.empty()) title += " ";
    title += t.columns[c] + "=" + t.rows[row][c];
  }
  return title.empty() ? "all" : title;
}

std::vector<size_t> Varying(const CsvTable& t, const std::vector<size_t>& rows,
                            const std::vector<std::string>& candidates) {
  std::vector<size_t> out;
  for (const std::string& name : candidates) {
    std::optional<size_t> c = t.Column(name);
    if (!c) continue;
    std::set<std::string> values;
    for (size_t r : rows) values.insert(t.rows[r][*c]);
    if (values.size() > 1) out.push_back(*c);
  }
  return out;
}

// Rows grouped by the label column (one group when there is none), in first-seen order.
std::vector<std::pair<std::string, std::vector<size_t>>> ByLabel(const CsvTable& t,
                                                                 const std::string& fallback) {
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  std::map<std::string, size_t> index;
  const std::optional<size_t> label = t.Column("label");
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string key = label ? t.rows[r][*label] : fallback;
    auto [it, added] = index.emplace(key, groups.size());
    if (added) groups.push_back({key, {}});
    groups[it->second].second.push_back(r);
  }
  return groups;
}

}  // namespace

std::string FileStem(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

std::vector<LinePlot> ColluderPlots(const std::string& table_name, const CsvTable& t) {
  const auto k = t.Column("k"), detection = t.Column("detection"), alarm = t.Column("false_alarm");
  if (!k || !detection || !alarm) return {};
  std::vector<LinePlot> plots;
  for (const auto& [label, rows] : ByLabel(t, table_name)) {
    const std::vector<size_t> varying =
        Varying(t, rows, {"detector", "attack", "strength", "users"});
    std::map<std::string, std::pair<Series, Series>> series;  // title -> detection, alarm
    for (size_t r : rows) {
      const auto x = t.Number(r, *k);
      if (!x) continue;
      auto& [d, f] = series[SeriesTitle(t, r, varying)];
      d.points.push_back({*x, t.Number(r, *detection).value_or(0)});
      f.points.push_back({*x, t.Number(r, *alarm).value_or(0)});
    }
    LinePlot det{"colluders-detection-" + FileStem(table_name + "-" + label),
                 "Detection vs colluders: " + label,
                 "colluders K",
                 "detection rate",
                 {},
                 std::make_pair(0.0, 1.05)};
    LinePlot fa{"colluders-false-alarm-" + FileStem(table_name + "-" + label),
                "False alarm vs colluders: " + label,
                "colluders K",
                "false-alarm rate",
                {},
                std::nullopt};
    for (auto& [title, pair] : series) {
      if (pair.first.points.size() < 2) continue;  // a curve needs several K
      pair.first.title = pair.second.title = title;
      det.series.push_back(pair.first);
      fa.series.push_back(pair.second);
    }
    if (det.series.empty()) continue;
    plots.push_back(std::move(det));
    plots.push_back(std::move(fa));
  }
  return plots;
}

std::vector<LinePlot> PruningPlots(const std::string& table_name, const CsvTable& t) {
  const auto attack = t.Column("attack"), strength = t.Column("strength"),
             extraction = t.Column("extraction_accuracy");
  if (!attack || !strength || !extraction) return {};
  const auto k = t.Column("k"), accuracy = t.Column("test_accuracy");
  std::vector<LinePlot> plots;
  for (const auto& [label, rows] : ByLabel(t, table_name)) {
    Series extracted{label + " extraction accuracy", {}}, tested{label + " test accuracy", {}};
    for (size_t r : rows) {
      if (t.rows[r][*attack].find("prune") == std::string::npos) continue;
      if (k && t.Number(r, *k).value_or(1) != 1) continue;
      const auto rate = t.Number(r, *strength);
      if (!rate) continue;
      if (auto e = t.Number(r, *extraction)) extracted.points.push_back({*rate * 100, *e});
      if (accuracy) {
        if (auto a = t.Number(r, *accuracy)) tested.points.push_back({*rate * 100, *a});
      }
    }
    if (extracted.points.size() < 2) continue;
    LinePlot plot{"pruning-" + FileStem(table_name + "-" + label),
                  "Extraction accuracy vs pruning rate: " + label,
                  "weights pruned (%)",
                  "accuracy",
                  {extracted},
                  std::make_pair(0.0, 1.05)};
    if (tested.points.size() >= 2) plot.series.push_back(tested);
    plots.push_back(std::move(plot));
  }
  return plots;
}

std::vector<BarChart> PrivacyCharts(const std::string& table_name, const CsvTable& t) {
  const auto setup = t.Column("setup"), attack = t.Column("attack");
  if (!setup || !attack || !t.Column("ssim") || !t.Column("mse")) return {};
  std::vector<std::string> setups, attacks;
  for (const auto& row : t.rows) {
    if (std::find(setups.begin(), setups.end(), row[*setup]) == setups.end())
      setups.push_back(row[*setup]);
    if (std::find(attacks.begin(), attacks.end(), row[*attack]) == attacks.end())
      attacks.push_back(row[*attack]);
  }
  std::vector<BarChart> charts;
  for (const auto& [metric, title] : std::vector<std::pair<std::string, std::string>>{
           {"ssim", "SSIM of reconstructions (higher = more leaked)"},
           {"mse", "MSE of reconstructions (lower = more leaked)"}}) {
    const size_t column = *t.Column(metric);
    BarChart chart{"privacy-" + metric + "-" + FileStem(table_name),
                   title,
                   metric,
                   attacks,
                   setups,
                   std::vector<std::vector<std::optional<double>>>(
                       setups.size(), std::vector<std::optional<double>>(attacks.size()))};
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const size_t g = std::find(setups.begin(), setups.end(), t.rows[r][*setup]) - setups.begin();
      const size_t c =
          std::find(attacks.begin(), attacks.end(), t.rows[r][*attack]) - attacks.begin();
      chart.values[g][c] = t.Number(r, column);
    }
    charts.push_back(std::move(chart));
  }
  return charts;
}

std::vector<LinePlot> EpochPlots(
    const std::vector<std::pair<std::string, nlohmann::json>>& reports) {
  LinePlot plot{"accuracy-per-epoch",    "Accuracy per epoch", "epoch", "accuracy", {},
                std::make_pair(0.0, 1.0)};
  for (const auto& [step, report] : reports) {
    const nlohmann::json& epochs = report["epochs"];
    Series test{step + " test", {}}, train{step + " train", {}};
    for (const nlohmann::json& e : epochs) {
      if (!e.is_object() || !e.contains("epoch")) continue;
      const double x = e["epoch"].get<double>();
      if (e.contains("test_accuracy") && e["test_accuracy"].is_number())
        test.points.push_back({x, e["test_accuracy"].get<double>()});
      if (e.contains("train_accuracy") && e["train_accuracy"].is_number())
        train.points.push_back({x, e["train_accuracy"].get<double>()});
    }
    if (!test.points.empty()) plot.series.push_back(test);
    if (!train.points.empty()) plot.series.push_back(train);
  }
  if (plot.series.empty()) return {};
  return {plot};
}

}  // namespace securemark::report
