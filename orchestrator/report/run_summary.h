// What a run established, for the top of its report: customers served and what the
// fingerprint cost in accuracy, detection and false alarm per coalition size, who an
// investigation accused and at which stage, and what privacy the defenders bought.
// Recognised by the fields of JSON reports and the columns of tables, like the plots.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/csv_table.h"

namespace securemark::report {

struct StepDocument {
  std::string step;    // execution name, e.g. "embed@3"
  std::string plugin;  // e.g. "embedder.projection"
  nlohmann::json doc;
};

struct StepRecord {
  std::string step, plugin, state;  // state in lower case: complete, cached, failed, ...
};

struct SummaryTable {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct RunSummary {
  std::vector<std::pair<std::string, std::string>> findings;  // (topic, sentence)
  std::vector<SummaryTable> tables;
};

RunSummary Summarise(const std::vector<StepRecord>& steps,
                     const std::vector<StepDocument>& documents,
                     const std::vector<std::pair<std::string, CsvTable>>& tables);

// Parameters of a run as (name, value) rows; nested values as compact JSON.
std::vector<std::vector<std::string>> ParameterRows(const nlohmann::json& params);

}  // namespace securemark::report
