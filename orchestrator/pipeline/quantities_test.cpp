#include "pipeline/quantities.h"

#include <gtest/gtest.h>

namespace securemark::pipeline {
namespace {

using nlohmann::json;

TEST(QuantitiesTest, MemoryReadsSlurmsUnitsAndPlainMegabytes) {
  EXPECT_EQ(ParseMemoryMb(json(512)), 512);
  EXPECT_EQ(ParseMemoryMb(json(0.5)), 1);  // rounded up, never to zero
  EXPECT_EQ(ParseMemoryMb(json("512M")), 512);
  EXPECT_EQ(ParseMemoryMb(json("4G")), 4096);
  EXPECT_EQ(ParseMemoryMb(json("1.5g")), 1536);
  EXPECT_EQ(ParseMemoryMb(json("2T")), 2 * 1024 * 1024);
  EXPECT_EQ(ParseMemoryMb(json("100K")), 1);
  EXPECT_EQ(ParseMemoryMb(json("300")), 300);
  for (const json& bad : {json(0), json(-5), json("G"), json("4GB"), json("-1G"), json(""),
                          json(" 4G"), json(true), json::array({1}), json("nanG")})
    EXPECT_FALSE(ParseMemoryMb(bad)) << bad.dump();
}

TEST(QuantitiesTest, DurationsReadUnitsAndSlurmClockForms) {
  EXPECT_EQ(ParseDurationSeconds(json(90)), 90);
  EXPECT_EQ(ParseDurationSeconds(json(0.2)), 1);
  EXPECT_EQ(ParseDurationSeconds(json("90s")), 90);
  EXPECT_EQ(ParseDurationSeconds(json("30m")), 1800);
  EXPECT_EQ(ParseDurationSeconds(json("2h")), 7200);
  EXPECT_EQ(ParseDurationSeconds(json("1.5h")), 5400);
  EXPECT_EQ(ParseDurationSeconds(json("1d")), 86400);
  EXPECT_EQ(ParseDurationSeconds(json("01:30:00")), 5400);
  EXPECT_EQ(ParseDurationSeconds(json("10:00")), 600);
  EXPECT_EQ(ParseDurationSeconds(json("1-12:00:00")), 129600);
  for (const json& bad :
       {json(0), json(-1), json("m"), json("5 m"), json("1:60:00"), json("1:2:3:4"),
        json("x-1:00:00"), json("00:00"), json(""), json(nullptr), json("1e400")})
    EXPECT_FALSE(ParseDurationSeconds(bad)) << bad.dump();
}

TEST(QuantitiesTest, SlurmTimeFormatRoundTrips) {
  EXPECT_EQ(FormatSlurmTime(59), "00:00:59");
  EXPECT_EQ(FormatSlurmTime(5400), "01:30:00");
  EXPECT_EQ(FormatSlurmTime(129600), "1-12:00:00");
  for (int64_t s : {1, 61, 3599, 86399, 86400, 1000000})
    EXPECT_EQ(ParseDurationSeconds(json(FormatSlurmTime(s))), s);
}

}  // namespace
}  // namespace securemark::pipeline
