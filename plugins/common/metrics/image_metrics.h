// How close a reconstruction is to the original image: mean squared error and SSIM
// (Wang et al. 2004) with an 11x11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03 and
// population (not sample) covariances — the settings of
// skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False), which a test cross-checks.
#pragma once

#include <cstdint>
#include <vector>

#include "securemark/status.h"

namespace securemark::metrics {

// An image as float planes: channels × height × width, row-major.
struct ImageView {
  const float* data = nullptr;
  int64_t channels = 1, height = 0, width = 0;
  int64_t size() const { return channels * height * width; }
};

StatusOr<double> MeanSquaredError(const ImageView& a, const ImageView& b);

// Mean SSIM over the pixels whose window lies inside the image, averaged over channels.
// `data_range` is the span of possible values (1 for images in [0, 1]).
StatusOr<double> Ssim(const ImageView& a, const ImageView& b, double data_range = 1.0);

}  // namespace securemark::metrics
