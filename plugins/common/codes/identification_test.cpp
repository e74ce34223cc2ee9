#include "codes/identification.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "codes/bibd.h"
#include "codes/collusion.h"
#include "codes/keys.h"
#include "codes/verdict.h"

namespace securemark::codes {
namespace {

constexpr int64_t kBeta = 288;

std::vector<int64_t> RandomCoalition(int64_t users, int64_t k, std::mt19937_64& rng) {
  std::vector<int64_t> all(users);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

class IdentificationTest : public testing::Test {
 protected:
  const Codebook code_ = Codebook::AndAcc(*SingerDifferenceSet(5));  // (31,6,1)
  const Eigen::MatrixXd basis_ = OrthonormalBasis(code_.length(), code_.length(), 2);
  const Eigen::MatrixXd key_ = GaussianMatrix(code_.length(), kBeta, 1);

  // What the extractor reads from layer w under this key.
  Extraction Read(const Eigen::VectorXd& w) const {
    Extraction e;
    const Eigen::VectorXd f = key_ * w;
    const Eigen::VectorXd y = basis_.transpose() * f;
    e.identity.assign(y.data(), y.data() + y.size());
    e.reading = KeyedReading{f, key_ * key_.transpose(), w.norm(), kBeta};
    e.basis = basis_;
    return e;
  }

  // The average of the coalition's fingerprinted copies of a reference layer, each made
  // by the least-norm change that gives X w = F exactly, then an attack's noise: an
  // isotropic perturbation whose image under the key has standard deviation `sigma` per
  // entry (fingerprint entries are ±1).
  Eigen::VectorXd Pooled(const std::vector<int64_t>& coalition, double sigma,
                         std::mt19937_64& rng) const {
    std::normal_distribution<double> normal;
    Eigen::VectorXd reference(kBeta), noise(kBeta);
    for (int64_t i = 0; i < kBeta; ++i) reference(i) = 0.01 * normal(rng);
    for (int64_t i = 0; i < kBeta; ++i) noise(i) = sigma / std::sqrt(kBeta) * normal(rng);
    const auto solve = (key_ * key_.transpose()).ldlt();
    Eigen::VectorXd pooled = Eigen::VectorXd::Zero(kBeta);
    for (int64_t user : coalition) {
      const Eigen::VectorXd f = FingerprintVector(code_, basis_, user);
      pooled += reference + key_.transpose() * solve.solve(f - key_ * reference);
    }
    return pooled / static_cast<double>(coalition.size()) + noise;
  }

  // Stage 2 alone (stage 1 is left to provenance_test): the hard-threshold detector's
  // candidates, tested at false_accusation / users.
  std::set<int64_t> Identified(const Extraction& e, double false_accusation) const {
    DecisionRule rule;
    rule.false_accusation = false_accusation;
    auto detection = Detect(code_, e.identity, rule.detector, rule.tau);
    EXPECT_TRUE(detection.ok());
    std::vector<int64_t> candidates;
    for (const Accusation& a : detection->accused) candidates.push_back(a.user);
    auto id = Identify(code_, e, candidates, false_accusation / code_.users());
    EXPECT_TRUE(id.ok()) << id.status();
    std::set<int64_t> out;
    if (id.ok())
      for (const CandidateTest& c : id->kept) out.insert(c.user);
    return out;
  }
};

// For a model made without the key, each customer's t-statistic is exactly Student's t:
// one customer tested alone rejects at 1% in 1% of 4,000 isotropic layers under this one
// key (Binomial(4000, 0.01) stays within [20, 62] with probability above 0.999), and an
// investigation with the detector's candidates accuses anyone at most that often.
TEST_F(IdentificationTest, ModelsMadeWithoutTheKeyAreAccusedAtMostAtTheStatedRate) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  int rejected = 0, investigations_accusing = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    Eigen::VectorXd w(kBeta);
    for (int64_t i = 0; i < kBeta; ++i) w(i) = normal(rng);
    const Extraction e = Read(w * std::pow(10.0, trial % 5 - 2));
    auto frame = CodeFrame::Of(code_, e);
    ASSERT_TRUE(frame.ok()) << frame.status();
    auto fit = frame->Fit({7});
    ASSERT_TRUE(fit.ok()) << fit.status();
    rejected += (*fit)[0].p_value <= 0.01;
    investigations_accusing += !Identified(e, 0.01).empty();
  }
  EXPECT_GE(rejected, 20);
  EXPECT_LE(rejected, 62);
  EXPECT_LE(investigations_accusing, 62);
}

// Stage 2 is independent of stage 1 for a model made without the key: among 20,000
// isotropic layers under this one key, those that pass the provenance test at 5% (about
// 1,000) are accused at stage 2's own rate, not more (Binomial(1000, 0.01) stays below
// 22 with probability above 0.999). Without stage 1's mean direction as a nuisance in
// the fit, passing stage 1 through the mean lifted every customer's t.
TEST_F(IdentificationTest, AModelThatPassesStageOneByChanceMeetsStageTwoIndependently) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> normal;
  int passed = 0, accused = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    Eigen::VectorXd w(kBeta);
    for (int64_t i = 0; i < kBeta; ++i) w(i) = normal(rng);
    const Extraction e = Read(w);
    auto p = TestProvenance(code_, basis_, 0, *e.reading, 0.05);
    ASSERT_TRUE(p.ok());
    if (!p->derived) continue;
    ++passed;
    accused += !Identified(e, 0.01).empty();
  }
  EXPECT_GE(passed, 850);
  EXPECT_LE(passed, 1150);
  EXPECT_LE(accused, 22);
}

// Averaged coalitions of 1..5 under attack noise that makes the hard-threshold detector
// name innocents beside the colluders: the test keeps the colluders and dismisses the
// innocents, with and without the key's reading.
TEST_F(IdentificationTest, NoisyCoalitionsAreNamedExactly) {
  std::mt19937_64 rng(9);
  const int trials = 500;
  int exact = 0, exact_from_correlations = 0, detector_named_innocents = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const std::vector<int64_t> coalition = RandomCoalition(code_.users(), 1 + trial % 5, rng);
    Extraction e = Read(Pooled(coalition, 0.08, rng));
    auto detection = Detect(code_, e.identity, "hard_threshold", 0.85);
    ASSERT_TRUE(detection.ok());
    const std::vector<int64_t> named = detection->Users();
    detector_named_innocents +=
        !std::includes(coalition.begin(), coalition.end(), named.begin(), named.end());
    const std::set<int64_t> truth(coalition.begin(), coalition.end());
    exact += Identified(e, 0.01) == truth;
    e.reading.reset();
    exact_from_correlations += Identified(e, 0.01) == truth;
  }
  EXPECT_GE(detector_named_innocents, trials / 20);  // the test has work to do
  EXPECT_GE(exact, trials * 99 / 100);
  EXPECT_GE(exact_from_correlations, trials * 99 / 100);
}

TEST_F(IdentificationTest, ScoresIgnoreTheScaleOfTheExtraction) {
  std::mt19937_64 rng(3);
  const Eigen::VectorXd w = Pooled({4, 9}, 0.05, rng);
  auto a = CodeFrame::Of(code_, Read(w)), b = CodeFrame::Of(code_, Read(123.0 * w));
  ASSERT_TRUE(a.ok() && b.ok());
  auto fa = a->Fit({4, 9, 20}), fb = b->Fit({4, 9, 20});
  ASSERT_TRUE(fa.ok() && fb.ok());
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR((*fa)[i].t, (*fb)[i].t, 1e-6 * std::fabs((*fa)[i].t));
  EXPECT_GT((*fa)[0].t, 10);
  EXPECT_NEAR((*fa)[0].share, 0.5, 0.05);
  EXPECT_LT((*fa)[2].t, 4);
}

// Known innocents' scores (the calibration's) are the same t-statistics a verdict
// computes, one innocent at a time beside the coalition.
TEST_F(IdentificationTest, InnocentScoresAreEachInnocentTestedBesideTheCoalition) {
  std::mt19937_64 rng(4);
  auto frame = CodeFrame::Of(code_, Read(Pooled({2, 11, 17}, 0.1, rng)));
  ASSERT_TRUE(frame.ok());
  auto scores = frame->InnocentScores({2, 11, 17});
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 28u);
  size_t i = 0;
  for (int64_t u = 0; u < code_.users(); ++u) {
    if (u == 2 || u == 11 || u == 17) continue;
    auto fit = frame->Fit({2, 11, 17, u});
    ASSERT_TRUE(fit.ok());
    EXPECT_NEAR((*scores)[i++], (*fit)[3].t, 1e-8) << u;
  }
  EXPECT_FALSE(frame->InnocentScores({99}).ok());
}

// More candidates than the fingerprint can test, or candidates the others already span,
// are dismissed, never accused; the strongest stay.
TEST_F(IdentificationTest, CandidatesBeyondWhatCanBeTestedAreDismissed) {
  std::mt19937_64 rng(6);
  const Extraction e = Read(Pooled({5}, 0.05, rng));
  std::vector<int64_t> everyone(code_.users());
  std::iota(everyone.begin(), everyone.end(), 0);
  std::swap(everyone[0], everyone[5]);  // the detector's strongest first
  auto id = Identify(code_, e, everyone, 0.01 / code_.users());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(id->kept.size(), 1u);
  EXPECT_EQ(id->kept[0].user, 5);
  EXPECT_EQ(id->kept.size() + id->dropped.size(), everyone.size());
  EXPECT_GE(id->dof, 1);
  EXPECT_NEAR(StudentUpperTail(0, 10), 0.5, 1e-12);
  EXPECT_NEAR(StudentUpperTail(2.228, 10), 0.025, 1e-4);
}

// A product code cannot tell {(a,b), (a',b')} from {(a,b'), (a',b)}: their averages are
// equal. Nobody is accused on such a fingerprint, a single copy still is.
TEST(ProductCodeIdentificationTest, ColludersAProductCodeCannotSeparateAreNotAccused) {
  const Codebook part = Codebook::AndAcc(*SingerDifferenceSet(3));  // (13,4,1)
  auto product = Codebook::Product(part, part);
  ASSERT_TRUE(product.ok());
  const auto user = [&](int64_t a, int64_t b) { return a * part.users() + b; };
  const auto average = [&](const std::vector<int64_t>& users) {
    std::vector<double> y(product->length(), 0.0), b(product->length());
    std::mt19937_64 rng(1);
    std::normal_distribution<double> noise(0.0, 0.02);
    for (int64_t u : users) {
      product->Coefficients(u, b.data());
      for (int64_t i = 0; i < product->length(); ++i) y[i] += b[i] / users.size();
    }
    for (double& v : y) v += noise(rng);
    Extraction e;
    e.identity = y;
    return e;
  };
  const std::vector<int64_t> square = {user(1, 2), user(1, 4), user(3, 2), user(3, 4)};
  auto pair = Identify(*product, average({user(1, 2), user(3, 4)}), square, 0.01 / 169);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_TRUE(pair->kept.empty());
  ASSERT_EQ(pair->dropped.size(), 4u);
  for (const CandidateTest& c : pair->dropped) EXPECT_FALSE(c.separable) << c.user;
  auto single = Identify(*product, average({user(1, 2)}), {user(1, 2)}, 0.01 / 169);
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->kept.size(), 1u);
  EXPECT_EQ(single->kept[0].user, user(1, 2));
}

}  // namespace
}  // namespace securemark::codes
