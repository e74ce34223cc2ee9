#include "report/csv_table.h"

#include <cstdlib>

namespace securemark::report {
namespace {

std::optional<std::vector<std::string>> SplitRow(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

}  // namespace

std::optional<size_t> CsvTable::Column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<double> CsvTable::Number(size_t row, size_t column) const {
  const std::string& text = rows.at(row).at(column);
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

std::optional<CsvTable> ParseCsv(const std::string& text) {
  for (unsigned char c : text) {
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) return std::nullopt;
  }
  CsvTable table;
  size_t start = 0;
  bool header = true;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::optional<std::vector<std::string>> fields = SplitRow(line);
    if (!fields) return std::nullopt;
    if (header) {
      if (fields->size() < 2) return std::nullopt;
      table.columns = std::move(*fields);
      header = false;
    } else {
      if (fields->size() != table.columns.size()) return std::nullopt;
      table.rows.push_back(std::move(*fields));
    }
  }
  if (header) return std::nullopt;
  return table;
}

}  // namespace securemark::report
