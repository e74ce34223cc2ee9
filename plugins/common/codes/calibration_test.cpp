#include "codes/calibration.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "codes/bibd.h"

namespace securemark::codes {
namespace {

// The averaged code words of `users`, plus white noise of standard deviation sigma.
std::vector<double> Noisy(const Codebook& c, const std::vector<int64_t>& users, double sigma,
                          std::mt19937_64& rng) {
  std::vector<double> y(c.length(), 0.0), b(c.length());
  for (int64_t u : users) {
    c.Coefficients(u, b.data());
    for (int64_t i = 0; i < c.length(); ++i) y[i] += b[i] / users.size();
  }
  std::normal_distribution<double> noise(0.0, sigma);
  for (double& v : y) v += noise(rng);
  return y;
}

std::vector<int64_t> RandomCoalition(int64_t users, int64_t k, std::mt19937_64& rng) {
  std::vector<int64_t> all(users);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(k);
  return all;
}

TEST(CalibrationTest, NormalQuantileInvertsTheTail) {
  EXPECT_NEAR(NormalUpperQuantile(0.05), 1.644854, 1e-5);
  EXPECT_NEAR(NormalUpperQuantile(1e-6), 4.753424, 1e-5);
  EXPECT_NEAR(NormalUpperTail(NormalUpperQuantile(0.3)), 0.3, 1e-12);
  EXPECT_NEAR(NormalUpperQuantile(0.5), 0.0, 1e-9);
}

TEST(CalibrationTest, EvidenceIgnoresTheScaleOfTheExtraction) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));
  std::mt19937_64 rng(3);
  std::vector<double> y = Noisy(c, {4, 9}, 0.05, rng), scaled(y);
  for (double& v : scaled) v *= 123.0;
  auto a = Evidence(c, y), b = Evidence(c, scaled);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int64_t u = 0; u < c.users(); ++u) EXPECT_NEAR((*a)[u], (*b)[u], 1e-9 * std::fabs((*a)[u]));
  // The colluders stand out from everyone else.
  const double innocent_max = std::max(*std::max_element(a->begin(), a->begin() + 4),
                                       *std::max_element(a->begin() + 10, a->end()));
  EXPECT_GT(std::min((*a)[4], (*a)[9]), 5 * std::max(innocent_max, 1.0));
  EXPECT_FALSE(Evidence(c, std::vector<double>(30, 1.0)).ok());
}

// Calibrated on coalitions of k-1 other customers (where innocents have the fewest
// untouched zeros: the worst case), the per-investigation false-accusation rate on fresh
// coalitions of 1..k-1 stays at the stated level, and the colluders are caught.
TEST(CalibrationTest, NullModelsBoundFalseAccusationsAndKeepDetection) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));  // (31,6,1)
  std::mt19937_64 rng(11);
  const double sigma = 0.05;
  std::vector<double> null_scores;
  for (int model = 0; model < 200; ++model) {
    const std::vector<int64_t> others = RandomCoalition(c.users(), c.resilience(), rng);
    auto e = Evidence(c, Noisy(c, others, sigma, rng));
    ASSERT_TRUE(e.ok());
    for (int64_t u = 0; u < c.users(); ++u)
      if (std::count(others.begin(), others.end(), u) == 0) null_scores.push_back((*e)[u]);
  }
  auto null = FitNull(null_scores, 200);
  ASSERT_TRUE(null.ok());
  const double alpha = 0.05, bar = ThresholdFor(*null, alpha / c.users());
  int investigations_with_false_accusation = 0, caught = 0, colluders = 0;
  const int trials = 1000;
  for (int t = 0; t < trials; ++t) {
    const int64_t k = 1 + t % 5;
    std::vector<int64_t> coalition = RandomCoalition(c.users(), k, rng);
    auto e = Evidence(c, Noisy(c, coalition, sigma, rng));
    ASSERT_TRUE(e.ok());
    bool false_accusation = false;
    for (int64_t u = 0; u < c.users(); ++u) {
      const bool member = std::count(coalition.begin(), coalition.end(), u) > 0;
      const bool accused = (*e)[u] > bar;
      if (member) caught += accused, ++colluders;
      false_accusation |= accused && !member;
    }
    investigations_with_false_accusation += false_accusation;
  }
  EXPECT_LE(investigations_with_false_accusation, trials * alpha * 1.5);
  EXPECT_GE(static_cast<double>(caught) / colluders, 0.99);
  // A colluder's p-value is tiny; an innocent's is not.
  auto e = Evidence(c, Noisy(c, {2, 3}, sigma, rng));
  ASSERT_TRUE(e.ok());
  EXPECT_LT(PValueOf(*null, (*e)[2]).gaussian, 1e-9);
  EXPECT_DOUBLE_EQ(PValueOf(*null, (*e)[2]).empirical, 1.0 / (null->scores.size() + 1));
  EXPECT_GT(PValueOf(*null, (*e)[20]).gaussian, 1e-4);
}

TEST(CalibrationTest, TooFewOrBrokenNullScoresAreRefused) {
  EXPECT_FALSE(FitNull({1.0}, 1).ok());
  EXPECT_FALSE(FitNull({1.0, NAN, 2.0}, 1).ok());
  EXPECT_TRUE(FitNull({1.0, 2.0}, 1).ok());
}

}  // namespace
}  // namespace securemark::codes
