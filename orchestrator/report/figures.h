// Which plots a run's results call for, recognised by the columns of its CSV tables and
// the fields of its JSON reports rather than by plugin name, so new evaluation plugins
// that write the same columns are plotted too.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/csv_table.h"
#include "report/gnuplot.h"

namespace securemark::report {

// A label as a file-name-safe stem: every character but letters and digits becomes '-'.
std::string FileStem(const std::string& text);

// Tables with k, detection and false_alarm: detection and false alarm vs coalition
// size, one pair of plots per label, one series per detector / attack / strength.
std::vector<LinePlot> ColluderPlots(const std::string& table_name, const CsvTable& table);

// Rows of a pruning attack at K = 1 with extraction_accuracy: extraction and test
// accuracy vs pruning rate, per label.
std::vector<LinePlot> PruningPlots(const std::string& table_name, const CsvTable& table);

// Tables with setup, attack, ssim and mse (inversion attacks per defender setup).
std::vector<BarChart> PrivacyCharts(const std::string& table_name, const CsvTable& table);

// JSON reports with an "epochs" array: test (and train) accuracy per epoch, per step.
std::vector<LinePlot> EpochPlots(
    const std::vector<std::pair<std::string, nlohmann::json>>& reports);

}  // namespace securemark::report
