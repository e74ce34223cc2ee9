// The CSV tables plugins write ("table" outputs): a header row and data rows, fields
// optionally double-quoted.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace securemark::report {

struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  // Index of a column, if present.
  std::optional<size_t> Column(const std::string& name) const;
  // The cell as a number, if it reads as one.
  std::optional<double> Number(size_t row, size_t column) const;
};

// Nullopt when the text does not look like a CSV table (no header with a comma, rows of
// a different width, binary bytes).
std::optional<CsvTable> ParseCsv(const std::string& text);

}  // namespace securemark::report
