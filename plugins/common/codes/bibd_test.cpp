#include "codes/bibd.h"

#include <gtest/gtest.h>

#include "codes/codebook.h"
#include "codes/galois_field.h"

namespace securemark::codes {
namespace {

TEST(GaloisFieldTest, FieldAxiomsHoldForPrimesAndPrimePowers) {
  for (int64_t q : {2, 3, 4, 5, 7, 8, 9, 11, 16, 25, 27, 32}) {
    auto f = GaloisField::Create(q);
    ASSERT_TRUE(f.ok()) << q;
    for (int64_t a = 0; a < q; ++a) {
      EXPECT_EQ(f->Add(a, f->Neg(a)), 0) << q;
      if (a != 0) {
        EXPECT_EQ(f->Mul(a, f->Inv(a)), 1) << q << " " << a;
      }
      for (int64_t b = 0; b < q; ++b) {
        EXPECT_EQ(f->Mul(a, b), f->Mul(b, a));
        EXPECT_EQ(f->Add(a, b), f->Add(b, a));
        // Distributivity on a sample keeps the test quick.
        const int64_t c = (a * 7 + b * 3) % q;
        EXPECT_EQ(f->Mul(a, f->Add(b, c)), f->Add(f->Mul(a, b), f->Mul(a, c))) << q;
      }
    }
    EXPECT_EQ(f->Pow(f->Primitive(), q - 1), 1);
  }
  EXPECT_FALSE(GaloisField::Create(6).ok());
  EXPECT_FALSE(GaloisField::Create(12).ok());
}

struct DesignCase {
  std::string kind;
  int64_t parameter, v, k, blocks;
};

class DesignTest : public testing::TestWithParam<DesignCase> {};

TEST_P(DesignTest, IsABalancedDesignWithTheExpectedParameters) {
  const DesignCase& c = GetParam();
  auto d = MakeDesign(c.kind, c.parameter);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->v, c.v);
  EXPECT_EQ(d->k, c.k);
  EXPECT_EQ(static_cast<int64_t>(d->blocks.size()), c.blocks);
  EXPECT_TRUE(d->Verify().ok()) << d->Verify();
}

INSTANTIATE_TEST_SUITE_P(Constructions, DesignTest,
                         testing::Values(
                             // The papers' codebooks: 7, 13, 31, 56 and 132 users.
                             DesignCase{"singer", 2, 7, 3, 7}, DesignCase{"singer", 3, 13, 4, 13},
                             DesignCase{"singer", 5, 31, 6, 31}, DesignCase{"ag2", 7, 49, 7, 56},
                             DesignCase{"ag2", 11, 121, 11, 132},
                             // Prime powers exercise GF(p^m) arithmetic.
                             DesignCase{"pg2", 4, 21, 5, 21}, DesignCase{"pg2", 8, 73, 9, 73},
                             DesignCase{"ag2", 9, 81, 9, 90}, DesignCase{"singer", 4, 21, 5, 21},
                             DesignCase{"singer", 9, 91, 10, 91},
                             // Thousands of users with short codes.
                             DesignCase{"ag3", 4, 64, 4, 16 * 21},
                             DesignCase{"ag3", 11, 1331, 11, 121 * 133},
                             DesignCase{"pg3", 3, 40, 4, 130}, DesignCase{"pg3", 4, 85, 5, 357},
                             // Steiner triple systems, both residues.
                             DesignCase{"sts", 7, 7, 3, 7}, DesignCase{"sts", 9, 9, 3, 12},
                             DesignCase{"sts", 13, 13, 3, 26}, DesignCase{"sts", 15, 15, 3, 35},
                             DesignCase{"sts", 19, 19, 3, 57}, DesignCase{"sts", 21, 21, 3, 70}),
                         [](const testing::TestParamInfo<DesignCase>& info) {
                           return info.param.kind + "_" + std::to_string(info.param.parameter);
                         });

TEST(DesignTest, VerifyCatchesABrokenDesign) {
  BlockDesign d = *ProjectivePlane(2);
  d.blocks.pop_back();  // the pairs of the dropped line are now in no block
  EXPECT_FALSE(d.Verify().ok());
}

TEST(DesignTest, ImpossibleParametersAreRefused) {
  EXPECT_EQ(MakeDesign("ag2", 6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDesign("sts", 11).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDesign("fano", 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(CodebookTest, AndAccIsTheComplementOfIncidence) {
  Codebook c = Codebook::AndAcc(*SingerDifferenceSet(5));
  EXPECT_EQ(c.length(), 31);
  EXPECT_EQ(c.users(), 31);
  EXPECT_EQ(c.resilience(), 5);
  std::vector<double> b(31);
  c.Coefficients(4, b.data());
  int zeros = 0;
  for (double e : b) zeros += e < 0;
  EXPECT_EQ(zeros, 6);
  StatusOr<Codebook> back = Codebook::Decode(c.Encode());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Zeros(4), c.Zeros(4));
}

TEST(CodebookTest, ProductCodeServesTheSquareOfTheUsers) {
  Codebook half = Codebook::AndAcc(*AffinePlane(11));
  Codebook both = *Codebook::Product(half, half);
  EXPECT_EQ(both.users(), 17424);
  EXPECT_EQ(both.length(), 242);
  const int64_t user = 5 * 132 + 7;
  std::vector<int32_t> zeros = both.Zeros(user);
  EXPECT_EQ(zeros.size(), 22u);
  EXPECT_EQ(zeros[0], half.Zeros(5)[0]);
  EXPECT_EQ(zeros[11], half.Zeros(7)[0] + 121);
  StatusOr<Codebook> back = Codebook::Decode(both.Encode());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Zeros(user), zeros);
  EXPECT_FALSE(Codebook::Decode("garbage").ok());
}

// SecureMark-DL's 302-bit fingerprint: a 60-bit community code in front of the 242-bit
// identity code.
TEST(CodebookTest, PrefixedCodeKeepsTheCommunityBitsInFront) {
  Codebook half = Codebook::AndAcc(*AffinePlane(11));
  Codebook identity = *Codebook::Product(half, half);
  std::vector<uint8_t> prefix(60 * identity.users());
  for (size_t i = 0; i < prefix.size(); ++i) prefix[i] = (i * 7919 % 13) < 6;
  Codebook full = *Codebook::Prefixed(60, prefix, identity);
  EXPECT_EQ(full.length(), 302);
  EXPECT_EQ(full.users(), 17424);
  const int64_t user = 5 * 132 + 7;
  for (int64_t p = 0; p < 60; ++p) EXPECT_EQ(full.Bit(p, user), prefix[user * 60 + p]);
  for (int64_t p = 0; p < 242; ++p) EXPECT_EQ(full.Bit(60 + p, user), identity.Bit(p, user));
  StatusOr<Codebook> back = Codebook::Decode(full.Encode());
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->is_prefixed());
  EXPECT_EQ(back->Zeros(user), full.Zeros(user));
  EXPECT_FALSE(Codebook::Prefixed(60, std::vector<uint8_t>(59), identity).ok());
}

}  // namespace
}  // namespace securemark::codes
