// Randomness for secret material (bases, keys, unit weights, random codes).
//
// A secret is only as strong as the seed it is drawn from: a small integer seed shown in
// metadata lets anyone redraw it. So secrets come from a 256-bit SecretSeed, by default
// fresh from the operating system's CSPRNG (libsodium's randombytes), and are expanded
// with ChaCha20, whose output cannot be traced back to the seed. An explicit number is
// accepted only as an opt-in for reproducible experiments.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

namespace securemark::codes {

class SecretSeed {
 public:
  // 32 bytes from the operating system's CSPRNG.
  static SecretSeed Fresh();
  // A reproducible seed from an explicit number (experiments only: as guessable as n).
  static SecretSeed FromNumber(uint64_t n);
  // A seed that only holders of `material` (e.g. a secret basis) can compute.
  static SecretSeed FromSecret(const void* material, size_t size);
  // An independent seed for one purpose ("projection key", "unit weights"), so that
  // secrets drawn for different purposes from one seed do not share bytes.
  SecretSeed Derive(std::string_view purpose) const;

  const std::array<uint8_t, 32>& bytes() const { return bytes_; }

 private:
  std::array<uint8_t, 32> bytes_{};
};

// An explicit `seed` parameter's value, or a fresh seed when it is 0 (the default).
SecretSeed SeedOrFresh(int64_t explicit_seed);

// ChaCha20 keystream as a C++ uniform random bit generator.
class SecretStream {
 public:
  using result_type = uint64_t;
  explicit SecretStream(const SecretSeed& seed);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()();

  double Uniform();  // in (0, 1), 53 random bits
  double
  Normal();  // N(0, 1), Box-Muller; the same on every platform, unlike std::normal_distribution
  uint64_t Below(uint64_t n);                   // uniform in [0, n), without modulo bias
  std::vector<int64_t> Permutation(int64_t n);  // of 0..n-1, uniform (Fisher-Yates)

 private:
  void Refill();

  std::array<uint8_t, 32> key_;
  uint64_t block_ = 0;
  std::array<uint64_t, 64> buffer_{};
  size_t next_ = 64;
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

// rows × cols, entries N(0, 1).
Eigen::MatrixXd GaussianMatrix(int64_t rows, int64_t cols, SecretStream& stream);
// dim × count with orthonormal columns (count <= dim).
Eigen::MatrixXd OrthonormalBasis(int64_t dim, int64_t count, SecretStream& stream);

}  // namespace securemark::codes
