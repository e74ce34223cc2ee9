#include "codes/calibration.h"

#include <cmath>

#include <gtest/gtest.h>

namespace securemark::codes {
namespace {

TEST(CalibrationTest, NormalQuantileInvertsTheTail) {
  EXPECT_NEAR(NormalUpperQuantile(0.05), 1.644854, 1e-5);
  EXPECT_NEAR(NormalUpperQuantile(1e-6), 4.753424, 1e-5);
  EXPECT_NEAR(NormalUpperTail(NormalUpperQuantile(0.3)), 0.3, 1e-12);
  EXPECT_NEAR(NormalUpperQuantile(0.5), 0.0, 1e-9);
}

// Nobody is accused on a score an innocent was seen to reach; p-values count the null.
TEST(CalibrationTest, AccusationsNeedAScoreBeyondEveryNullInnocent) {
  auto null = FitNull({0.5, -1.0, 2.5, 1.0}, 2);
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null->scores.back(), 2.5);
  const Calibration c = MakeCalibration(*null, 0.01, 31);
  EXPECT_DOUBLE_EQ(c.per_user_level, 0.01 / 31);
  EXPECT_FALSE(c.Accuses(2.5));
  EXPECT_TRUE(c.Accuses(2.6));
  EXPECT_DOUBLE_EQ(PValueOf(*null, 2.6).empirical, 1.0 / 5);
  EXPECT_DOUBLE_EQ(PValueOf(*null, 0.7).empirical, 3.0 / 5);
  EXPECT_NEAR(PValueOf(*null, null->mean).gaussian, 0.5, 1e-12);
}

TEST(CalibrationTest, TooFewOrBrokenNullScoresAreRefused) {
  EXPECT_FALSE(FitNull({1.0}, 1).ok());
  EXPECT_FALSE(FitNull({1.0, NAN, 2.0}, 1).ok());
  EXPECT_TRUE(FitNull({1.0, 2.0}, 1).ok());
}

}  // namespace
}  // namespace securemark::codes
