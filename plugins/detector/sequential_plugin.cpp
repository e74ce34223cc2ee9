// detector.sequential: Sequential: adds the user who best explains the averaged fingerprint while
// the fit improves.
#include "detector_node.h"

namespace securemark::detector {
namespace {
constexpr char kMethod[] = "sequential";
constexpr char kDoc[] =
    "Sequential: adds the user who best explains the averaged fingerprint while the fit improves.";
using Detector = DetectorNode<kMethod, kDoc>;
}  // namespace
}  // namespace securemark::detector

SECUREMARK_PLUGIN(securemark::detector::Detector, detector, sequential)
