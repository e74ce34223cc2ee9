// detector.adaptive_sorting: Adaptive sorting: grows the zero set from the lowest correlations and
// keeps the best-fitting suspect set.
#include "detector_node.h"

namespace securemark::detector {
namespace {
constexpr char kMethod[] = "adaptive_sorting";
constexpr char kDoc[] =
    "Adaptive sorting: grows the zero set from the lowest correlations and keeps the best-fitting "
    "suspect set.";
using Detector = DetectorNode<kMethod, kDoc>;
}  // namespace
}  // namespace securemark::detector

SECUREMARK_PLUGIN(securemark::detector::Detector, detector, adaptive_sorting)
