// detector.hard_threshold: Hard threshold on normalised correlations; exact AND-ACC decoding (the
// accused are the users whose block lies in the zero set).
#include "detector_node.h"

namespace securemark::detector {
namespace {
constexpr char kMethod[] = "hard_threshold";
constexpr char kDoc[] =
    "Hard threshold on normalised correlations; exact AND-ACC decoding (the accused are the users "
    "whose block lies in the zero set).";
using Detector = DetectorNode<kMethod, kDoc>;
}  // namespace
}  // namespace securemark::detector

SECUREMARK_PLUGIN(securemark::detector::Detector, detector, hard_threshold)
