// detector.tardos: Tardos score accusation with the codebook's threshold.
#include "detector_node.h"

namespace securemark::detector {
namespace {
constexpr char kMethod[] = "tardos";
constexpr char kDoc[] = "Tardos score accusation with the codebook's threshold.";
using Detector = DetectorNode<kMethod, kDoc>;
}  // namespace
}  // namespace securemark::detector

SECUREMARK_PLUGIN(securemark::detector::Detector, detector, tardos)
