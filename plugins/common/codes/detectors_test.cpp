#include "codes/detectors.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "codes/collusion.h"
#include "codes/keys.h"
#include "codes/tardos.h"

namespace securemark::codes {
namespace {

std::vector<double> Average(const Codebook& c, const std::vector<int64_t>& users,
                            double scale = 1.0) {
  std::vector<double> y(c.length(), 0.0), b(c.length());
  for (int64_t u : users) {
    c.Coefficients(u, b.data());
    for (int64_t i = 0; i < c.length(); ++i) y[i] += scale * b[i] / users.size();
  }
  return y;
}

TEST(DetectorsTest, HardThresholdIsExactForEveryCoalitionUpToKMinusOne) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));  // (31,6,1): 5-resilient
  // All coalitions of 1 and 2, and many random ones up to 5.
  for (int64_t a = 0; a < 31; ++a) {
    EXPECT_EQ(HardThreshold(c, Average(c, {a})).Users(), std::vector<int64_t>{a});
    for (int64_t b = a + 1; b < 31; ++b) {
      EXPECT_EQ(HardThreshold(c, Average(c, {a, b})).Users(), (std::vector<int64_t>{a, b}));
    }
  }
  std::mt19937 rng(1);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<int64_t> all(31);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    std::vector<int64_t> coalition(all.begin(), all.begin() + 3 + trial % 3);
    std::sort(coalition.begin(), coalition.end());
    ASSERT_EQ(HardThreshold(c, Average(c, coalition)).Users(), coalition);
  }
}

TEST(DetectorsTest, SequentialFindsEveryCoalitionWithinTheResilience) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));
  std::mt19937 rng(4);
  for (int64_t k = 1; k <= 5; ++k) {
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<int64_t> all(31);
      std::iota(all.begin(), all.end(), 0);
      std::shuffle(all.begin(), all.end(), rng);
      std::vector<int64_t> coalition(all.begin(), all.begin() + k);
      std::sort(coalition.begin(), coalition.end());
      ASSERT_EQ(Sequential(c, Average(c, coalition)).Users(), coalition) << "K=" << k;
    }
  }
}

TEST(DetectorsTest, DetectionIsScaleInvariant) {
  Codebook c = Codebook::AndAcc(*AffinePlane(11));
  const std::vector<int64_t> coalition = {3, 40, 77, 101, 130};
  for (double scale : {1e-4, 0.37, 1.0, 52.0, 3e5}) {
    EXPECT_EQ(HardThreshold(c, Average(c, coalition, scale)).Users(), coalition) << scale;
    EXPECT_EQ(Sequential(c, Average(c, coalition, scale)).Users(), coalition) << scale;
    EXPECT_EQ(AdaptiveSorting(c, Average(c, coalition, scale)).Users(), coalition) << scale;
  }
}

TEST(DetectorsTest, ThroughAnOrthonormalBasisAndBack) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(3));
  Eigen::MatrixXd u = OrthonormalBasis(13, 13, 42);
  EXPECT_LT((u.transpose() * u - Eigen::MatrixXd::Identity(13, 13)).norm(), 1e-10);
  Eigen::VectorXd f = (FingerprintVector(c, u, 2) + FingerprintVector(c, u, 9)) / 2;
  Eigen::VectorXd b = u.transpose() * f;
  EXPECT_EQ(HardThreshold(c, std::vector<double>(b.data(), b.data() + b.size())).Users(),
            (std::vector<int64_t>{2, 9}));
  Eigen::VectorXd layout = ComposeFingerprint({1, 0, 1}, f);
  auto [p, id] = SplitFingerprint(layout, 3);
  EXPECT_EQ(p(1), -1.0);
  EXPECT_LT((id - f).norm(), 1e-12);
}

TEST(DetectorsTest, OrthogonalCodesAccuseTheAveragedUsers) {
  Codebook c = Codebook::Orthogonal(30);
  EXPECT_EQ(HardThreshold(c, Average(c, {4, 17, 29}, 0.2)).Users(),
            (std::vector<int64_t>{4, 17, 29}));
}

// Tracing each half of SecureMark-DL's two-part code and pairing the results accuses
// every "crossed" pair: colluders (a1,b1), (a2,b2) also implicate (a1,b2) and (a2,b1).
TEST(DetectorsTest, ProductCodesAccuseCrossedPairs) {
  Codebook half = Codebook::AndAcc(*AffinePlane(11));
  Codebook both = *Codebook::Product(half, half);
  const int64_t u1 = 5 * 132 + 7, u2 = 60 * 132 + 99;
  std::vector<int64_t> accused = HardThreshold(both, Average(both, {u1, u2})).Users();
  EXPECT_EQ(accused,
            (std::vector<int64_t>{5 * 132 + 7, 5 * 132 + 99, 60 * 132 + 7, 60 * 132 + 99}));
  // Lines of AG(3,11) serve 16,093 users and stay exact.
  Codebook lines = Codebook::AndAcc(*AffineSpaceLines(11));
  std::vector<int64_t> coalition = {1, 500, 2000, 4321, 7777, 9000, 12000, 13001, 15000, 16092};
  EXPECT_EQ(HardThreshold(lines, Average(lines, coalition)).Users(), coalition);
}

// The community prefix is screened separately; it must not disturb identity tracing.
TEST(DetectorsTest, PrefixedCodesTraceTheIdentityPart) {
  Codebook half = Codebook::AndAcc(*AffinePlane(11));
  Codebook identity = *Codebook::Product(half, half);
  std::vector<uint8_t> prefix(60 * identity.users());
  for (size_t i = 0; i < prefix.size(); ++i) prefix[i] = (i * 104729 % 11) < 5;
  Codebook full = *Codebook::Prefixed(60, prefix, identity);
  const std::vector<int64_t> pair = {5 * 132 + 7, 5 * 132 + 99};
  EXPECT_EQ(HardThreshold(full, Average(full, pair)).Users(), pair);
  EXPECT_EQ(HardThreshold(full, Average(full, {60 * 132 + 3})).Users(),
            (std::vector<int64_t>{60 * 132 + 3}));
}

TEST(DetectorsTest, TardosTracesSmallCoalitionsWithoutAccusingInnocents) {
  TardosParams p{200, 3, 1e-3};
  SecretStream stream(SecretSeed::FromNumber(9));
  Codebook c = *TardosCodebook(p, stream);
  EXPECT_EQ(c.length(), TardosLength(3, 200, 1e-3));
  CollusionOptions o;
  o.k_min = 1;
  o.k_max = 3;
  o.trials = 200;
  o.detector = "tardos";
  auto rows = *EvaluateCollusion(c, o);
  for (const auto& r : rows) {
    EXPECT_EQ(r.false_alarm.successes, 0) << "K=" << r.k;
    EXPECT_GT(r.detection.value, 0.3)
        << "K=" << r.k;  // at least one colluder per trial, usually all
  }
  const double z = std::stod(c.extra().Attr("tardos.threshold"));
  EXPECT_LE(TardosFalseAccusationBound(z, c.length(), 200), 1.01e-3);
}

TEST(CollusionTest, ReportsRatesWithConfidenceIntervals) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));
  CollusionOptions o;
  o.k_max = 7;
  o.trials = 300;
  o.random_scale = true;
  auto rows = EvaluateCollusion(c, o);
  ASSERT_TRUE(rows.ok()) << rows.status();
  for (const auto& r : *rows) {
    if (r.k <= 5) {
      EXPECT_EQ(r.detection.value, 1.0) << r.k;
      EXPECT_EQ(r.false_alarm.value, 0.0) << r.k;
      EXPECT_EQ(r.exact.value, 1.0) << r.k;
      EXPECT_GT(r.detection.low, 0.98);
    }
  }
  // Beyond the resilience the scheme breaks: six colluders of (31,6,1) frame innocents or hide.
  EXPECT_LT((*rows)[6].exact.value, 1.0);
  EXPECT_EQ(WilsonRate(0, 0).value, 0.0);
  Rate half = WilsonRate(50, 100);
  EXPECT_NEAR(half.low, 0.404, 0.002);
  EXPECT_NEAR(half.high, 0.596, 0.002);
}

}  // namespace
}  // namespace securemark::codes
