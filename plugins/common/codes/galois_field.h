// Arithmetic in GF(q) for any prime power q = p^m (not only primes). Elements are
// 0..q-1, read as polynomials over GF(p) with base-p digits as coefficients; addition is
// digit-wise mod p, multiplication goes through log tables of a primitive element.
#pragma once

#include <cstdint>
#include <vector>

#include "securemark/status.h"

namespace securemark::codes {

class GaloisField {
 public:
  // q must be a prime power, 2 <= q <= 1 << 20.
  static StatusOr<GaloisField> Create(int64_t q);

  int64_t order() const { return q_; }
  int64_t characteristic() const { return p_; }
  int64_t degree() const { return m_; }

  int64_t Add(int64_t a, int64_t b) const;
  int64_t Neg(int64_t a) const;
  int64_t Sub(int64_t a, int64_t b) const { return Add(a, Neg(b)); }
  int64_t Mul(int64_t a, int64_t b) const;
  int64_t Inv(int64_t a) const;  // a != 0
  int64_t Pow(int64_t a, int64_t e) const;
  // The primitive element used for the log tables (a generator of GF(q)*).
  int64_t Primitive() const { return exp_[1 % (q_ - 1)]; }
  int64_t Exp(int64_t i) const { return exp_[i % (q_ - 1)]; }
  int64_t Log(int64_t a) const { return log_[a]; }  // a != 0

 private:
  GaloisField() = default;
  int64_t q_ = 0, p_ = 0, m_ = 0;
  std::vector<int64_t> exp_, log_;
};

// True when q is p^m for a prime p; sets p and m.
bool IsPrimePower(int64_t q, int64_t* p = nullptr, int64_t* m = nullptr);

}  // namespace securemark::codes
