#include "codes/provenance.h"

#include <random>

#include <gtest/gtest.h>

#include "codes/bibd.h"
#include "codes/keys.h"
#include "codes/verdict.h"

namespace securemark::codes {
namespace {

// What the vendor reads from a layer vector w with key X and basis U: y = Uᵀ X w.
std::vector<double> Read(const Eigen::MatrixXd& x, const Eigen::MatrixXd& u,
                         const Eigen::VectorXd& w) {
  const Eigen::VectorXd y = u.transpose() * (x * w);
  return {y.data(), y.data() + y.size()};
}

// Layer vectors of every shape a model not derived from the deployment might have:
// Gaussian, heavy-tailed, sparse, constant, at scales from 1e-3 to 1e3.
Eigen::VectorXd Unrelated(int64_t beta, int trial, std::mt19937_64& rng) {
  Eigen::VectorXd w(beta);
  std::normal_distribution<double> normal;
  std::cauchy_distribution<double> cauchy;
  for (int64_t i = 0; i < beta; ++i) {
    switch (trial % 4) {
      case 0:
        w(i) = normal(rng);
        break;
      case 1:
        w(i) = cauchy(rng);
        break;
      case 2:
        w(i) = i % 17 == 0 ? normal(rng) : 0.0;
        break;
      default:
        w(i) = 1.0;
        break;
    }
  }
  return w * std::pow(10.0, (trial % 7) - 3);
}

// The closed-form null is exact: for keys drawn independently of the model, the test
// rejects at its level and no more often, whatever the model's weights look like.
TEST(ProvenanceTest, ModelsMadeWithoutTheKeyAreRejectedAtTheStatedRate) {
  const Codebook code = Codebook::AndAcc(*SingerDifferenceSet(5));
  const int64_t beta = 288;
  std::mt19937_64 rng(7);
  int rejected = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    // A fresh secret key per trial: the model is fixed, the key is what is random.
    const Eigen::MatrixXd x = GaussianMatrix(code.length(), beta, rng());
    const Eigen::MatrixXd u = OrthonormalBasis(code.length(), code.length(), rng());
    const Eigen::VectorXd w = Unrelated(beta, t, rng);
    auto p = TestProvenance(code, Read(x, u, w), {}, w.norm(), 0.01);
    ASSERT_TRUE(p.ok()) << p.status();
    rejected += p->derived;
  }
  // Binomial(4000, 0.01) stays within [20, 62] with probability above 0.999; a test whose
  // null were wrong (e.g. normalised by the signal level instead of ‖w‖) rejects far more.
  EXPECT_GE(rejected, 20);
  EXPECT_LE(rejected, 62);
}

// An embedded fingerprint (X w = F exactly, on top of a model's own weights) and the
// average of five copies are shown to derive from the deployment with tiny p-values.
TEST(ProvenanceTest, FingerprintedCopiesAndTheirAveragesAreShownToDerive) {
  const Codebook code = Codebook::AndAcc(*SingerDifferenceSet(5));
  const int64_t beta = 288;
  std::mt19937_64 rng(11);
  const Eigen::MatrixXd x = GaussianMatrix(code.length(), beta, 1);
  const Eigen::MatrixXd u = OrthonormalBasis(code.length(), code.length(), 2);
  Eigen::VectorXd reference(beta);
  std::normal_distribution<double> normal(0.0, 0.01);
  for (int64_t i = 0; i < beta; ++i) reference(i) = normal(rng);
  Eigen::VectorXd pooled = Eigen::VectorXd::Zero(beta);
  for (int64_t user = 0; user < 5; ++user) {
    const Eigen::VectorXd f = FingerprintVector(code, u, user);
    // The least-norm change that makes X w = F.
    const Eigen::VectorXd w =
        reference + x.transpose() * (x * x.transpose()).ldlt().solve(f - x * reference);
    pooled += w / 5;
    auto p = TestProvenance(code, Read(x, u, w), {}, w.norm(), 0.01);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p->derived);
    EXPECT_LT(p->p_value, 1e-20) << user;
  }
  auto p = TestProvenance(code, Read(x, u, pooled), {}, pooled.norm(), 0.01);
  ASSERT_TRUE(p.ok());
  EXPECT_LT(p->p_value, 1e-10);
}

TEST(ProvenanceTest, ChiSquareTailMatchesKnownValues) {
  EXPECT_NEAR(ChiSquareUpperTail(3.841459, 1), 0.05, 1e-6);
  EXPECT_NEAR(ChiSquareUpperTail(44.985343, 31), 0.05, 1e-6);
  EXPECT_EQ(ChiSquareUpperTail(0, 31), 1.0);
}

TEST(ProvenanceTest, AZeroOrNonFiniteNormIsAnError) {
  const Codebook code = Codebook::AndAcc(*SingerDifferenceSet(5));
  const std::vector<double> y(code.length(), 0.5);
  EXPECT_FALSE(TestProvenance(code, y, {}, 0.0, 0.01).ok());
  EXPECT_FALSE(TestProvenance(code, y, {}, std::nan(""), 0.01).ok());
  EXPECT_FALSE(TestProvenance(code, std::vector<double>(3, 1.0), {}, 1.0, 0.01).ok());
}

// Stage 1 decides before any detector runs: nobody is accused when it does not reject.
TEST(VerdictTest, NobodyIsAccusedUnlessProvenanceIsShown) {
  const Codebook code = Codebook::AndAcc(*SingerDifferenceSet(5));
  std::vector<double> y(code.length());
  code.Coefficients(3, y.data());  // exactly customer 3's word ...
  Extraction e{y, {}, 100.0};      // ... but tiny against the layer's norm
  auto v = Decide(code, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->decided_by, "provenance");
  EXPECT_TRUE(v->accused.empty());
  e.signal_norm = 0.3;  // the same word carried by a fingerprinted layer
  v = Decide(code, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->decided_by, "identification");
  EXPECT_EQ(v->Users(), std::set<int64_t>{3});
  e.signal_norm.reset();  // an extraction without the norm skips stage 1, as before
  v = Decide(code, e, DecisionRule{}, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->provenance.has_value());
  EXPECT_EQ(v->Users(), std::set<int64_t>{3});
}

}  // namespace
}  // namespace securemark::codes
