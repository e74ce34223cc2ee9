#include "codes/provenance.h"

#include <random>

#include <gtest/gtest.h>

#include "codes/bibd.h"
#include "codes/keys.h"
#include "codes/verdict.h"

namespace securemark::codes {
namespace {

constexpr int64_t kBeta = 288;

KeyedReading Read(const Eigen::MatrixXd& x, const Eigen::VectorXd& w) {
  return {x * w, x * x.transpose(), w.norm(), static_cast<int64_t>(w.size())};
}

// Layer vectors of shapes a model not derived from the deployment might have:
// Gaussian, heavy-tailed, sparse, at scales from 1e-3 to 1e3.
Eigen::VectorXd Unrelated(int trial, std::mt19937_64& rng) {
  Eigen::VectorXd w(kBeta);
  std::normal_distribution<double> normal;
  std::cauchy_distribution<double> cauchy;
  for (int64_t i = 0; i < kBeta; ++i) {
    switch (trial % 3) {
      case 0:
        w(i) = normal(rng);
        break;
      case 1:
        w(i) = cauchy(rng);
        break;
      default:
        w(i) = i % 17 == 0 ? normal(rng) : 0.0;
        break;
    }
  }
  return w * std::pow(10.0, (trial % 7) - 3);
}

class ProvenanceTest : public testing::Test {
 protected:
  const Codebook code_ = Codebook::AndAcc(*SingerDifferenceSet(5));
  const Eigen::MatrixXd basis_ = OrthonormalBasis(code_.length(), code_.length(), 2);

  int Rejections(bool fresh_key_per_trial, int trials, double level) {
    std::mt19937_64 rng(7);
    Eigen::MatrixXd x = GaussianMatrix(code_.length(), kBeta, 1);
    int rejected = 0;
    for (int t = 0; t < trials; ++t) {
      if (fresh_key_per_trial) x = GaussianMatrix(code_.length(), kBeta, rng());
      // Isotropic layer vectors are what makes a fixed key's null exact; the shapes
      // above are the hard cases when the key varies.
      Eigen::VectorXd w = fresh_key_per_trial ? Unrelated(t, rng) : Unrelated(0, rng);
      auto p = TestProvenance(code_, basis_, 0, Read(x, w), level);
      EXPECT_TRUE(p.ok()) << p.status();
      rejected += p.ok() && p->derived;
    }
    return rejected;
  }
};

// Over the key, for fixed models of any shape, and over models, for one fixed key: the
// test rejects at its level and no more often. Binomial(4000, 0.01) stays within [20, 62]
// with probability above 0.999. The unwhitened statistic (‖X w‖² / ‖w‖² against χ²_v)
// passed the first and failed the second, rejecting 74 of 4000 at this key.
TEST_F(ProvenanceTest, ModelsMadeWithoutTheKeyAreRejectedAtTheStatedRate) {
  const int over_keys = Rejections(/*fresh_key_per_trial=*/true, 4000, 0.01);
  EXPECT_GE(over_keys, 20);
  EXPECT_LE(over_keys, 62);
  const int over_models = Rejections(/*fresh_key_per_trial=*/false, 4000, 0.01);
  EXPECT_GE(over_models, 20);
  EXPECT_LE(over_models, 62);
}

// An embedded fingerprint (X w = F exactly, on top of a model's own weights) and the
// average of five copies are shown to derive from the deployment with tiny p-values.
TEST_F(ProvenanceTest, FingerprintedCopiesAndTheirAveragesAreShownToDerive) {
  std::mt19937_64 rng(11);
  const Eigen::MatrixXd x = GaussianMatrix(code_.length(), kBeta, 1);
  Eigen::VectorXd reference(kBeta);
  std::normal_distribution<double> normal(0.0, 0.01);
  for (int64_t i = 0; i < kBeta; ++i) reference(i) = normal(rng);
  Eigen::VectorXd pooled = Eigen::VectorXd::Zero(kBeta);
  for (int64_t user = 0; user < 5; ++user) {
    const Eigen::VectorXd f = FingerprintVector(code_, basis_, user);
    // The least-norm change that makes X w = F.
    const Eigen::VectorXd w =
        reference + x.transpose() * (x * x.transpose()).ldlt().solve(f - x * reference);
    pooled += w / 5;
    auto p = TestProvenance(code_, basis_, 0, Read(x, w), 0.01);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(p->derived);
    EXPECT_LT(p->p_value, 1e-20) << user;
  }
  auto p = TestProvenance(code_, basis_, 0, Read(x, pooled), 0.01);
  ASSERT_TRUE(p.ok());
  EXPECT_LT(p->p_value, 1e-10);
}

TEST_F(ProvenanceTest, SphereCoordinateTailMatchesItsNormalLimit) {
  EXPECT_NEAR(SphereCoordinateUpperTail(0, 288), 0.5, 1e-12);
  EXPECT_NEAR(SphereCoordinateUpperTail(1.96 / std::sqrt(100000.0), 100000), 0.025, 1e-4);
  EXPECT_NEAR(SphereCoordinateUpperTail(-0.1, 288) + SphereCoordinateUpperTail(0.1, 288), 1.0,
              1e-12);
  // n = 3: a coordinate of a uniform point on the sphere is uniform on [-1, 1].
  EXPECT_NEAR(SphereCoordinateUpperTail(0.5, 3), 0.25, 1e-12);
}

TEST_F(ProvenanceTest, MalformedReadingsAreErrors) {
  const Eigen::MatrixXd x = GaussianMatrix(code_.length(), kBeta, 1);
  KeyedReading r = Read(x, Eigen::VectorXd::Ones(kBeta));
  r.signal_norm = 0;
  EXPECT_FALSE(TestProvenance(code_, basis_, 0, r, 0.01).ok());
  r.signal_norm = std::nan("");
  EXPECT_FALSE(TestProvenance(code_, basis_, 0, r, 0.01).ok());
  r = Read(x, Eigen::VectorXd::Ones(kBeta));
  r.gram = Eigen::MatrixXd::Identity(3, 3);
  EXPECT_FALSE(TestProvenance(code_, basis_, 0, r, 0.01).ok());
  r = Read(x, Eigen::VectorXd::Ones(kBeta));
  r.signal_length = 20;  // a layer narrower than the key
  EXPECT_FALSE(TestProvenance(code_, basis_, 0, r, 0.01).ok());
}

// Stage 1 decides before any detector runs: nobody is accused when it does not reject.
TEST_F(ProvenanceTest, NobodyIsAccusedUnlessProvenanceIsShown) {
  const Eigen::MatrixXd x = GaussianMatrix(code_.length(), kBeta, 1);
  // A layer carrying exactly customer 3's fingerprint, with more or less else in it.
  const Eigen::VectorXd f = FingerprintVector(code_, basis_, 3);
  const Eigen::VectorXd along = x.transpose() * (x * x.transpose()).ldlt().solve(f);
  Eigen::VectorXd across = GaussianMatrix(kBeta, 1, 5).col(0);
  across -= x.transpose() * (x * x.transpose()).ldlt().solve(x * across);  // X across = 0
  Extraction e;
  e.basis = basis_;
  const Eigen::VectorXd y = basis_.transpose() * f;
  e.identity.assign(y.data(), y.data() + y.size());
  e.reading = Read(x, along + across * (1000 / across.norm()));  // the word, drowned
  auto v = Decide(code_, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->decided_by, "provenance");
  EXPECT_TRUE(v->accused.empty());
  e.reading = Read(x, along + across * (0.1 / across.norm()));  // a fingerprinted layer
  v = Decide(code_, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->decided_by, "identification");
  EXPECT_EQ(v->Users(), std::set<int64_t>{3});
  e.reading.reset();  // an extraction without the reading skips stage 1, as before
  v = Decide(code_, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->provenance.has_value());
  EXPECT_EQ(v->Users(), std::set<int64_t>{3});
}

}  // namespace
}  // namespace securemark::codes
