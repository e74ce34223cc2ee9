// The figures of report.privacy_table: the accuracy-versus-privacy curve as SVG and the
// reconstructions of every setup stacked under the originals as one PNG.
#pragma once

#include <string>
#include <vector>

#include "securemark/status.h"

namespace securemark::report {

struct TradeOffPoint {
  std::string label;
  double best_ssim = 0;
  double accuracy = 0;
  bool credited = true;  // false: drawn hollow, its accuracy fell past the margin
};

// Test accuracy (y) against the best attack's SSIM (x), one labelled point per setup, with
// a dashed line at `accuracy_floor` (undefended accuracy minus the margin).
std::string TradeOffSvg(const std::vector<TradeOffPoint>& points, double accuracy_floor);

// `grids` are attacker.inversion grids (originals over reconstructions). Returns one PNG:
// the first grid's originals, then the reconstruction row of each grid in order.
StatusOr<std::string> StackReconstructions(const std::vector<std::string>& names,
                                           const std::vector<std::string>& grids);

}  // namespace securemark::report
