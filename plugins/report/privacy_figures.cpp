#include "privacy_figures.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "data/image_folder.h"

namespace securemark::report {

namespace {

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

std::string Number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

}  // namespace

std::string TradeOffSvg(const std::vector<TradeOffPoint>& points, double accuracy_floor) {
  const double width = 640, height = 420, left = 60, right = 200, top = 20, bottom = 50;
  double low = accuracy_floor, high = accuracy_floor;
  for (const auto& p : points) {
    low = std::min(low, p.accuracy);
    high = std::max(high, p.accuracy);
  }
  low = std::max(0.0, low - 0.02);
  high = std::min(1.0, high + 0.02);
  if (high - low < 0.05) high = low + 0.05;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto x_of = [&](double ssim) { return left + std::clamp(ssim, 0.0, 1.0) * plot_w; };
  auto y_of = [&](double acc) { return top + (high - acc) / (high - low) * plot_h; };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
      << plot_h << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double s = i / 5.0, a = low + (high - low) * i / 5.0;
    svg << "<text x=\"" << x_of(s) << "\" y=\"" << height - bottom + 15
        << "\" text-anchor=\"middle\">" << Number(s) << "</text>\n"
        << "<text x=\"" << left - 5 << "\" y=\"" << y_of(a) + 4 << "\" text-anchor=\"end\">"
        << Number(a) << "</text>\n";
  }
  svg << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">best attack SSIM (lower: more private)</text>\n"
      << "<text transform=\"translate(14," << top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">test accuracy</text>\n"
      << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y_of(accuracy_floor)
      << "\" y2=\"" << y_of(accuracy_floor)
      << "\" stroke=\"grey\" stroke-dasharray=\"4 3\"/>\n<text x=\"" << left + plot_w + 4
      << "\" y=\"" << y_of(accuracy_floor) + 4 << "\" fill=\"grey\">accuracy floor</text>\n";
  for (const auto& p : points) {
    svg << "<circle cx=\"" << x_of(p.best_ssim) << "\" cy=\"" << y_of(p.accuracy)
        << "\" r=\"4\" stroke=\"black\" fill=\"" << (p.credited ? "black" : "white") << "\"/>\n"
        << "<text x=\"" << x_of(p.best_ssim) + 6 << "\" y=\"" << y_of(p.accuracy) - 6 << "\">"
        << Escape(p.label) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

StatusOr<std::string> StackReconstructions(const std::vector<std::string>& names,
                                           const std::vector<std::string>& grids) {
  if (grids.empty()) return InvalidArgumentError("no grids to stack");
  std::vector<data::Image> images;
  for (size_t i = 0; i < grids.size(); ++i) {
    SM_ASSIGN_OR_RETURN(data::Image image, data::DecodePngBytes(names[i], grids[i], 3));
    if (image.width != 0 && !images.empty() && image.width != images[0].width)
      return InvalidArgumentError(names[i] + " is " + std::to_string(image.width) +
                                  " pixels wide, " + names[0] + " " +
                                  std::to_string(images[0].width) + ": not the same images");
    if (image.height % 2 != 0)
      return InvalidArgumentError(names[i] + " is not an attacker.inversion grid (two rows)");
    images.push_back(std::move(image));
  }
  // A grid is [gap, originals, gap, reconstructions, gap] rows: the halves split at the
  // middle, the first keeping the top gap.
  const int64_t half = images[0].height / 2, row_bytes = images[0].width * 3;
  data::Image out{half * static_cast<int64_t>(1 + images.size()), images[0].width, 3, ""};
  out.pixels = images[0].pixels.substr(0, half * row_bytes);
  for (const auto& image : images) {
    if (image.height != images[0].height)
      return InvalidArgumentError("grids of different heights cannot be stacked");
    out.pixels += image.pixels.substr(half * row_bytes, half * row_bytes);
  }
  return data::EncodePng(out);
}

}  // namespace securemark::report
