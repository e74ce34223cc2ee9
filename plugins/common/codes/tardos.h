// Symmetric Tardos codes (Škorić, Katzenbeisser, Celik): per-position biases p drawn from
// the arcsine density with cutoff t = 1/(300c), bits c_ji ~ Bernoulli(p_i), and a
// symmetric score per user. Length m = ⌈π² c² ln(n/ε₁)⌉ (twice the asymptotic constant,
// for short codes). The accusation threshold Z = √m · Φ⁻¹(1 - ε₁/n): an innocent's score
// is a sum of m independent zero-mean unit-variance terms, so by the normal
// approximation the chance that any innocent is accused is at most about ε₁.
#pragma once

#include "codes/codebook.h"
#include "codes/detectors.h"
#include "codes/secret_random.h"

namespace securemark::codes {

struct TardosParams {
  int64_t users = 100;
  int64_t colluders = 3;   // c: coalitions up to this size are traced
  double epsilon1 = 1e-3;  // target probability of accusing any innocent
};

int64_t TardosLength(int64_t colluders, int64_t users, double epsilon1);
// The biases and bits are secret: they are drawn from `stream`.
StatusOr<Codebook> TardosCodebook(const TardosParams& params, SecretStream& stream);

// Reads the pirate's bit at each position from the sign of y (zeros are skipped) and
// accuses users whose score exceeds the threshold; score = S_j / Z.
Detection TardosAccuse(const Codebook& codebook, const std::vector<double>& y);

// Normal-approximation bound on accusing any of `users` innocents at threshold z.
double TardosFalseAccusationBound(double threshold, int64_t length, int64_t users);

}  // namespace securemark::codes
