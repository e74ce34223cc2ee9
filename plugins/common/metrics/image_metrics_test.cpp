// SSIM and MSE, checked against scikit-image's structural_similarity.
#include "metrics/image_metrics.h"

#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "util/process.h"

namespace securemark::metrics {
namespace {

std::vector<float> Noisy(const std::vector<float>& image, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sigma);
  std::vector<float> out = image;
  for (float& v : out) v = static_cast<float>(std::min(1.0, std::max(0.0, v + noise(rng))));
  return out;
}

std::vector<float> Smooth(int64_t channels, int64_t h, int64_t w) {
  std::vector<float> image(channels * h * w);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        image[(c * h + y) * w + x] =
            static_cast<float>(0.5 + 0.4 * std::sin(0.3 * x + 0.2 * y + c));
  return image;
}

TEST(ImageMetricsTest, IdenticalImagesScoreOneAndNoiseLowersIt) {
  const auto a = Smooth(1, 28, 28);
  const ImageView va{a.data(), 1, 28, 28};
  EXPECT_NEAR(*Ssim(va, va), 1.0, 1e-12);
  EXPECT_EQ(*MeanSquaredError(va, va), 0.0);
  const auto b = Noisy(a, 0.05, 1), c = Noisy(a, 0.3, 1);
  const double mild = *Ssim(va, {b.data(), 1, 28, 28});
  const double strong = *Ssim(va, {c.data(), 1, 28, 28});
  EXPECT_LT(mild, 1.0);
  EXPECT_LT(strong, mild);
}

TEST(ImageMetricsTest, BadShapesAreRefused) {
  const auto a = Smooth(1, 28, 28), small = Smooth(1, 8, 8);
  EXPECT_EQ(Ssim({a.data(), 1, 28, 28}, {a.data(), 1, 28, 27}).status().code(),
            StatusCode::kInvalidArgument);
  auto tiny = Ssim({small.data(), 1, 8, 8}, {small.data(), 1, 8, 8});
  EXPECT_NE(tiny.status().message().find("at least 11x11"), std::string::npos);
}

TEST(ImageMetricsTest, AgreesWithScikitImage) {
  if (std::system("/usr/bin/python3 -c 'import skimage' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-skimage is not installed";
  }
  for (int64_t channels : {1, 3}) {
    const int64_t h = 28, w = 31;
    const auto a = Noisy(Smooth(channels, h, w), 0.1, 2), b = Noisy(a, 0.15, 3);
    const std::string dir = testing::TempDir();
    std::ofstream(dir + "/a.f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(a.data()), a.size() * 4);
    std::ofstream(dir + "/b.f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), b.size() * 4);
    std::ofstream(dir + "/ssim.py")
        << "import sys, numpy as np\n"
           "from skimage.metrics import structural_similarity\n"
           "c, h, w = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])\n"
           "a = np.fromfile(sys.argv[1], np.float32).reshape(c, h, w).astype(np.float64)\n"
           "b = np.fromfile(sys.argv[2], np.float32).reshape(c, h, w).astype(np.float64)\n"
           "print(structural_similarity(a, b, gaussian_weights=True, sigma=1.5,\n"
           "    use_sample_covariance=False, data_range=1, channel_axis=0))\n";
    auto py = RunProcess({"/usr/bin/python3", dir + "/ssim.py", dir + "/a.f32", dir + "/b.f32",
                          std::to_string(channels), std::to_string(h), std::to_string(w)},
                         true);
    ASSERT_TRUE(py.ok());
    ASSERT_EQ(py->exit_code, 0) << py->output;
    const double reference = std::stod(py->output);
    const double ours = *Ssim({a.data(), channels, h, w}, {b.data(), channels, h, w});
    EXPECT_NEAR(ours, reference, 1e-9) << channels << " channels";
  }
}

}  // namespace
}  // namespace securemark::metrics
