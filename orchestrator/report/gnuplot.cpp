#include "report/gnuplot.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark::report {
namespace {

namespace fs = std::filesystem;

// A gnuplot single-quoted string: only the quote itself needs doubling.
std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string Preamble(const std::string& name, const std::string& title) {
  std::ostringstream gp;
  gp << "set terminal svg size 760,440 noenhanced font 'DejaVu Sans,11' background '#ffffff'\n"
     << "set output " << Quote(name + ".svg") << "\n"
     << "set title " << Quote(title) << "\n"
     << "set grid ytics lc rgb '#dddddd'\n"
     << "set key outside right top vertical Left reverse noautotitle\n"
     << "set datafile missing '?'\n";
  return gp.str();
}

std::string Value(const std::optional<double>& v) {
  if (!v) return "?";
  std::ostringstream out;
  out.precision(10);
  out << *v;
  return out.str();
}

bool AllZero(const LinePlot& plot) {
  for (const Series& s : plot.series)
    for (const auto& point : s.points)
      if (point.second != 0) return false;
  return true;
}

// Epochs, K and other counts get whole-number tics: gnuplot would label 1.5 colluders.
std::string IntegerTics(const LinePlot& plot) {
  double low = 0, high = 0;
  bool any = false;
  for (const Series& s : plot.series) {
    for (const auto& point : s.points) {
      if (point.first != std::floor(point.first)) return "";
      low = any ? std::min(low, point.first) : point.first;
      high = any ? std::max(high, point.first) : point.first;
      any = true;
    }
  }
  if (!any) return "";
  double step = 1;  // the first of 1, 2, 5, 10, 20, 50, ... giving at most ten tics
  for (double scale = 1; (high - low) / step > 10; scale *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      step = m * scale;
      if ((high - low) / step <= 10) break;
    }
  }
  std::ostringstream gp;
  gp << "set xtics " << step << "\nset format x '%.0f'\n";
  return gp.str();
}

}  // namespace

Status Gnuplot::Check() {
  StatusOr<ProcessResult> r = RunProcess({"gnuplot", "--version"}, /*capture_stdout=*/true);
  if (!r.ok() || r->exit_code != 0) {
    return FailedPreconditionError(
        "gnuplot is not installed; the report draws its plots with it (apt-get install "
        "gnuplot-nox, or run `make setup`)");
  }
  return OkStatus();
}

StatusOr<std::string> Gnuplot::Draw(const LinePlot& plot) {
  std::ostringstream data, gp;
  gp << Preamble(plot.name, plot.title) << "set xlabel " << Quote(plot.x_label) << "\n"
     << "set ylabel " << Quote(plot.y_label) << "\n";
  if (plot.y_range)
    gp << "set yrange [" << plot.y_range->first << ":" << plot.y_range->second << "]\n";
  else
    gp << (AllZero(plot) ? "set yrange [0:1]\n"    // gnuplot cannot scale a flat zero line
                         : "set yrange [0:*]\n");  // every metric plotted is non-negative
  gp << "set offsets graph 0.02, graph 0.02, 0, 0\n" << IntegerTics(plot);
  std::string plots;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    std::vector<std::pair<double, double>> points = plot.series[i].points;
    std::sort(points.begin(), points.end());
    data << "# " << plot.series[i].title << "\n";
    for (const auto& [x, y] : points) data << Value(x) << " " << Value(y) << "\n";
    data << "\n\n";  // a new data set for `index`
    plots += std::string(plots.empty() ? "plot " : ", \\\n     ") + Quote(plot.name + ".dat") +
             " index " + std::to_string(i) + " using 1:2 with linespoints pt 7 ps 0.6 title " +
             Quote(plot.series[i].title);
  }
  if (plots.empty()) return InvalidArgumentError("plot '" + plot.name + "' has no data");
  gp << plots << "\n";
  return Render(plot.name, gp.str(), data.str());
}

StatusOr<std::string> Gnuplot::Draw(const BarChart& chart) {
  if (chart.groups.empty() || chart.categories.empty())
    return InvalidArgumentError("chart '" + chart.name + "' has no data");
  std::ostringstream data, gp;
  data << "# category";
  for (const std::string& g : chart.groups) data << " \"" << g << "\"";
  data << "\n";
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    data << "\"" << chart.categories[c] << "\"";
    for (size_t g = 0; g < chart.groups.size(); ++g) data << " " << Value(chart.values[g][c]);
    data << "\n";
  }
  gp << Preamble(chart.name, chart.title) << "set ylabel " << Quote(chart.y_label) << "\n"
     << "set style data histograms\nset style histogram clustered gap 1\n"
     << "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset xtics rotate by -30\n"
     << "set yrange [0:*]\n";
  std::string plots;
  for (size_t g = 0; g < chart.groups.size(); ++g) {
    plots += std::string(plots.empty() ? "plot " : ", \\\n     ") + Quote(chart.name + ".dat") +
             " using " + std::to_string(g + 2) + (g == 0 ? ":xtic(1)" : "") + " title " +
             Quote(chart.groups[g]);
  }
  gp << plots << "\n";
  return Render(chart.name, gp.str(), data.str());
}

StatusOr<std::string> Gnuplot::Render(const std::string& name, const std::string& script,
                                      const std::string& data) {
  const fs::path plots = fs::path(dir_) / "plots";
  std::error_code ec;
  fs::create_directories(plots, ec);
  if (ec) return InternalError("cannot create " + plots.string() + ": " + ec.message());
  SM_RETURN_IF_ERROR(WriteFileAtomic((plots / (name + ".dat")).string(), data, 0644));
  SM_RETURN_IF_ERROR(WriteFileAtomic((plots / (name + ".gp")).string(), script, 0644));
  // gnuplot resolves the script's relative file names against its working directory.
  StatusOr<ProcessResult> r = RunProcess(
      {"sh", "-c", "cd \"$1\" && exec gnuplot \"$2\"", "gnuplot", plots.string(), name + ".gp"},
      /*capture_stdout=*/true);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 || !fs::exists(plots / (name + ".svg"))) {
    return InternalError("gnuplot failed on " + (plots / (name + ".gp")).string());
  }
  return "plots/" + name + ".svg";
}

}  // namespace securemark::report
