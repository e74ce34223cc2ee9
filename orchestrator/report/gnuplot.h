// Plots drawn by gnuplot (Debian gnuplot-nox) as SVG. Each plot leaves its data and
// script beside the picture (plots/<name>.dat, .gp), so it can be redrawn or restyled.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "securemark/status.h"

namespace securemark::report {

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> points;  // sorted by x when drawn
};

struct LinePlot {
  std::string name;  // file stem
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  std::optional<std::pair<double, double>> y_range;
};

struct BarChart {
  std::string name;
  std::string title;
  std::string y_label;
  std::vector<std::string> categories;                     // along x
  std::vector<std::string> groups;                         // one bar per group in each category
  std::vector<std::vector<std::optional<double>>> values;  // [group][category]
};

class Gnuplot {
 public:
  // Plots go to <report_dir>/plots/.
  explicit Gnuplot(std::string report_dir) : dir_(std::move(report_dir)) {}

  // gnuplot is on PATH; otherwise says which package to install.
  static Status Check();

  // Each returns the picture's path relative to the report directory.
  StatusOr<std::string> Draw(const LinePlot& plot);
  StatusOr<std::string> Draw(const BarChart& chart);

 private:
  StatusOr<std::string> Render(const std::string& name, const std::string& script,
                               const std::string& data);
  std::string dir_;
};

}  // namespace securemark::report
