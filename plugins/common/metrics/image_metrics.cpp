#include "metrics/image_metrics.h"

#include <cmath>
#include <string>

namespace securemark::metrics {
namespace {

constexpr double kSigma = 1.5;
constexpr int kRadius = 5;  // skimage: int(truncate 3.5 * σ + 0.5)

Status CheckSameShape(const ImageView& a, const ImageView& b) {
  if (a.channels != b.channels || a.height != b.height || a.width != b.width) {
    return InvalidArgumentError("images differ in shape: " + std::to_string(a.channels) + "x" +
                                std::to_string(a.height) + "x" + std::to_string(a.width) + " vs " +
                                std::to_string(b.channels) + "x" + std::to_string(b.height) + "x" +
                                std::to_string(b.width));
  }
  if (a.data == nullptr || b.data == nullptr || a.size() == 0) {
    return InvalidArgumentError("empty image");
  }
  return OkStatus();
}

std::vector<double> GaussianKernel() {
  std::vector<double> k(2 * kRadius + 1);
  double sum = 0;
  for (int i = -kRadius; i <= kRadius; ++i)
    sum += k[i + kRadius] = std::exp(-0.5 * i * i / (kSigma * kSigma));
  for (double& v : k) v /= sum;
  return k;
}

// The Gaussian-weighted mean of `plane` around every interior pixel (separable filter;
// only pixels whose whole window is inside are needed, so no border rule is involved).
std::vector<double> Filter(const std::vector<double>& plane, int64_t h, int64_t w,
                           const std::vector<double>& k) {
  std::vector<double> rows(plane.size(), 0.0), out(plane.size(), 0.0);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = kRadius; x < w - kRadius; ++x) {
      double s = 0;
      for (int i = -kRadius; i <= kRadius; ++i) s += k[i + kRadius] * plane[y * w + x + i];
      rows[y * w + x] = s;
    }
  }
  for (int64_t y = kRadius; y < h - kRadius; ++y) {
    for (int64_t x = kRadius; x < w - kRadius; ++x) {
      double s = 0;
      for (int i = -kRadius; i <= kRadius; ++i) s += k[i + kRadius] * rows[(y + i) * w + x];
      out[y * w + x] = s;
    }
  }
  return out;
}

}  // namespace

StatusOr<double> MeanSquaredError(const ImageView& a, const ImageView& b) {
  SM_RETURN_IF_ERROR(CheckSameShape(a, b));
  double sum = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a.data[i]) - b.data[i];
    sum += d * d;
  }
  return sum / a.size();
}

StatusOr<double> Ssim(const ImageView& a, const ImageView& b, double data_range) {
  SM_RETURN_IF_ERROR(CheckSameShape(a, b));
  const int64_t h = a.height, w = a.width;
  if (h < 2 * kRadius + 1 || w < 2 * kRadius + 1) {
    return InvalidArgumentError("SSIM needs images of at least 11x11, got " + std::to_string(h) +
                                "x" + std::to_string(w));
  }
  if (!(data_range > 0)) return InvalidArgumentError("data_range must be positive");
  const double c1 = std::pow(0.01 * data_range, 2), c2 = std::pow(0.03 * data_range, 2);
  const std::vector<double> k = GaussianKernel();
  double total = 0;
  for (int64_t c = 0; c < a.channels; ++c) {
    const int64_t n = h * w;
    std::vector<double> x(n), y(n), xx(n), yy(n), xy(n);
    for (int64_t i = 0; i < n; ++i) {
      x[i] = a.data[c * n + i];
      y[i] = b.data[c * n + i];
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    const auto ux = Filter(x, h, w, k), uy = Filter(y, h, w, k);
    const auto uxx = Filter(xx, h, w, k), uyy = Filter(yy, h, w, k), uxy = Filter(xy, h, w, k);
    double sum = 0;
    for (int64_t row = kRadius; row < h - kRadius; ++row) {
      for (int64_t col = kRadius; col < w - kRadius; ++col) {
        const int64_t i = row * w + col;
        const double vx = uxx[i] - ux[i] * ux[i], vy = uyy[i] - uy[i] * uy[i];
        const double vxy = uxy[i] - ux[i] * uy[i];
        sum += ((2 * ux[i] * uy[i] + c1) * (2 * vxy + c2)) /
               ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
      }
    }
    total += sum / ((h - 2 * kRadius) * (w - 2 * kRadius));
  }
  return total / a.channels;
}

}  // namespace securemark::metrics
