#include "codes/secret_random.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace securemark::codes {
namespace {

std::vector<uint64_t> Draw(const SecretSeed& seed, int n) {
  SecretStream s(seed);
  std::vector<uint64_t> out(n);
  for (auto& v : out) v = s();
  return out;
}

TEST(SecretRandomTest, FreshSeedsNeverRepeatAndExplicitOnesDo) {
  std::set<std::vector<uint64_t>> fresh;
  for (int i = 0; i < 50; ++i) fresh.insert(Draw(SeedOrFresh(0), 4));
  EXPECT_EQ(fresh.size(), 50u);
  EXPECT_EQ(Draw(SeedOrFresh(7), 300), Draw(SecretSeed::FromNumber(7), 300));
  EXPECT_NE(Draw(SecretSeed::FromNumber(7), 4), Draw(SecretSeed::FromNumber(8), 4));
}

TEST(SecretRandomTest, PurposesAndSecretsGiveIndependentStreams) {
  const SecretSeed root = SecretSeed::FromNumber(1);
  EXPECT_NE(Draw(root.Derive("projection key"), 4), Draw(root.Derive("unit weights"), 4));
  EXPECT_NE(Draw(root.Derive("projection key"), 4), Draw(root, 4));
  EXPECT_EQ(Draw(root.Derive("a"), 4), Draw(SecretSeed::FromNumber(1).Derive("a"), 4));
  const double material[2] = {1.0, 2.0}, other[2] = {1.0, 2.0000001};
  EXPECT_NE(Draw(SecretSeed::FromSecret(material, sizeof material), 4),
            Draw(SecretSeed::FromSecret(other, sizeof other), 4));
}

TEST(SecretRandomTest, NormalsHaveUnitVarianceAndNoSkew) {
  SecretStream s(SecretSeed::FromNumber(3));
  const int n = 200000;
  double sum = 0, squares = 0, cubes = 0;
  for (int i = 0; i < n; ++i) {
    const double z = s.Normal();
    sum += z;
    squares += z * z;
    cubes += z * z * z;
  }
  // Standard errors: mean 0.0022, variance 0.0032, third moment 0.0055.
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(squares / n, 1.0, 0.015);
  EXPECT_NEAR(cubes / n, 0.0, 0.025);
}

TEST(SecretRandomTest, BelowIsUniform) {
  SecretStream s(SecretSeed::FromNumber(4));
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) ++counts[s.Below(7)];
  double chi2 = 0;
  for (int c : counts) chi2 += (c - n / 7.0) * (c - n / 7.0) / (n / 7.0);
  EXPECT_LT(chi2, 22.5);  // 6 degrees of freedom, p = 0.001
}

TEST(SecretRandomTest, BasesAreOrthonormal) {
  SecretStream s(SecretSeed::Fresh());
  const Eigen::MatrixXd u = OrthonormalBasis(31, 31, s);
  EXPECT_LT((u.transpose() * u - Eigen::MatrixXd::Identity(31, 31)).norm(), 1e-10);
}

}  // namespace
}  // namespace securemark::codes
