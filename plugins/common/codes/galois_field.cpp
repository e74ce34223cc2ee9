#include "codes/galois_field.h"

namespace securemark::codes {
namespace {

bool IsPrime(int64_t n) {
  if (n < 2) return false;
  for (int64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// Polynomials over GF(p) of degree < m, encoded base p. Multiplies by x modulo the monic
// polynomial x^m + f(x), where f holds the low coefficients (encoded base p).
int64_t TimesX(int64_t a, int64_t f, int64_t p, int64_t m) {
  std::vector<int64_t> digits(m + 1, 0);
  for (int64_t i = 0; i < m; ++i) {
    digits[i + 1] = a % p;
    a /= p;
  }
  // digits = a * x; replace x^m by -f(x).
  const int64_t top = digits[m];
  int64_t out = 0, scale = 1;
  for (int64_t i = 0; i < m; ++i) {
    int64_t fi = (f / scale) % p;
    int64_t d = ((digits[i] - top * fi) % p + p) % p;
    out += d * scale;
    scale *= p;
  }
  return out;
}

}  // namespace

bool IsPrimePower(int64_t q, int64_t* p_out, int64_t* m_out) {
  if (q < 2) return false;
  for (int64_t p = 2; p <= q; ++p) {
    if (q % p != 0) continue;
    if (!IsPrime(p)) return false;
    int64_t m = 0, r = q;
    while (r % p == 0) {
      r /= p;
      ++m;
    }
    if (r != 1) return false;
    if (p_out) *p_out = p;
    if (m_out) *m_out = m;
    return true;
  }
  return false;
}

StatusOr<GaloisField> GaloisField::Create(int64_t q) {
  int64_t p = 0, m = 0;
  if (q > (1 << 20) || !IsPrimePower(q, &p, &m)) {
    return InvalidArgumentError("GF(" + std::to_string(q) +
                                ") does not exist: q must be a prime power (2, 3, 4, 5, "
                                "7, 8, 9, 11, ...) up to 2^20");
  }
  GaloisField f;
  f.q_ = q;
  f.p_ = p;
  f.m_ = m;
  // Find a primitive polynomial: one for which x generates all q-1 non-zero elements.
  for (int64_t poly = 0; poly < q; ++poly) {
    if (m > 1 && poly % p == 0) continue;  // constant term 0: x divides it, not irreducible
    std::vector<int64_t> exp(q - 1);
    std::vector<int64_t> log(q, -1);
    int64_t x = 1;
    bool primitive = true;
    for (int64_t i = 0; i < q - 1; ++i) {
      if (log[x] != -1) {
        primitive = false;
        break;
      }
      exp[i] = x;
      log[x] = i;
      x = m == 1 ? (x * ((p - poly % p) % p)) % p : TimesX(x, poly, p, m);
      if (m == 1 && x == 0) {
        primitive = false;
        break;
      }
    }
    if (!primitive || x != 1) continue;
    f.exp_ = std::move(exp);
    f.log_ = std::move(log);
    return f;
  }
  return InternalError("no primitive polynomial found for GF(" + std::to_string(q) + ")");
}

int64_t GaloisField::Add(int64_t a, int64_t b) const {
  if (m_ == 1) return (a + b) % p_;
  int64_t out = 0, scale = 1;
  for (int64_t i = 0; i < m_; ++i) {
    out += ((a % p_ + b % p_) % p_) * scale;
    a /= p_;
    b /= p_;
    scale *= p_;
  }
  return out;
}

int64_t GaloisField::Neg(int64_t a) const {
  if (m_ == 1) return (p_ - a) % p_;
  int64_t out = 0, scale = 1;
  for (int64_t i = 0; i < m_; ++i) {
    out += ((p_ - a % p_) % p_) * scale;
    a /= p_;
    scale *= p_;
  }
  return out;
}

int64_t GaloisField::Mul(int64_t a, int64_t b) const {
  if (a == 0 || b == 0) return 0;
  return exp_[(log_[a] + log_[b]) % (q_ - 1)];
}

int64_t GaloisField::Inv(int64_t a) const { return exp_[(q_ - 1 - log_[a]) % (q_ - 1)]; }

int64_t GaloisField::Pow(int64_t a, int64_t e) const {
  if (a == 0) return e == 0 ? 1 : 0;
  int64_t l = (log_[a] * (e % (q_ - 1))) % (q_ - 1);
  return exp_[(l + (q_ - 1)) % (q_ - 1)];
}

}  // namespace securemark::codes
