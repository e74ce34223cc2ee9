#include "codes/secret_random.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <sodium.h>

namespace securemark::codes {
namespace {

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

SecretSeed SecretSeed::Fresh() {
  EnsureSodium();
  SecretSeed s;
  randombytes_buf(s.bytes_.data(), s.bytes_.size());
  return s;
}

SecretSeed SecretSeed::FromNumber(uint64_t n) {
  unsigned char message[8];
  for (int i = 0; i < 8; ++i) message[i] = static_cast<unsigned char>(n >> (8 * i));
  return FromSecret(message, sizeof message);
}

SecretSeed SecretSeed::FromSecret(const void* material, size_t size) {
  EnsureSodium();
  static constexpr char kDomain[] = "securemark secret seed v1";
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kDomain),
                            sizeof kDomain - 1);
  crypto_generichash_update(&state, static_cast<const unsigned char*>(material), size);
  SecretSeed s;
  crypto_generichash_final(&state, s.bytes_.data(), s.bytes_.size());
  return s;
}

SecretSeed SecretSeed::Derive(std::string_view purpose) const {
  EnsureSodium();
  SecretSeed s;
  crypto_generichash(s.bytes_.data(), s.bytes_.size(),
                     reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(),
                     bytes_.data(), bytes_.size());
  return s;
}

SecretSeed SeedOrFresh(int64_t explicit_seed) {
  return explicit_seed == 0 ? SecretSeed::Fresh()
                            : SecretSeed::FromNumber(static_cast<uint64_t>(explicit_seed));
}

SecretStream::SecretStream(const SecretSeed& seed) : key_(seed.bytes()) { EnsureSodium(); }

void SecretStream::Refill() {
  unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
  for (size_t i = 0; i < sizeof nonce; ++i)
    nonce[i] = static_cast<unsigned char>(block_ >> (8 * i));
  ++block_;
  unsigned char bytes[sizeof buffer_];
  crypto_stream_chacha20(bytes, sizeof bytes, nonce, key_.data());
  for (size_t i = 0; i < buffer_.size(); ++i) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | bytes[i * 8 + b];
    buffer_[i] = v;
  }
  sodium_memzero(bytes, sizeof bytes);
  next_ = 0;
}

SecretStream::result_type SecretStream::operator()() {
  if (next_ == buffer_.size()) Refill();
  return buffer_[next_++];
}

double SecretStream::Uniform() {
  // (k + 0.5) / 2^53 for k in [0, 2^53): never 0 or 1, so log() below stays finite.
  return (static_cast<double>((*this)() >> 11) + 0.5) * 0x1.0p-53;
}

double SecretStream::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  const double r = std::sqrt(-2.0 * std::log(Uniform())), angle = 2.0 * M_PI * Uniform();
  spare_normal_ = r * std::sin(angle);
  has_spare_ = true;
  return r * std::cos(angle);
}

uint64_t SecretStream::Below(uint64_t n) {
  if (n <= 1) return 0;
  const uint64_t limit = max() - max() % n;  // reject the incomplete last block
  uint64_t v;
  do v = (*this)();
  while (v >= limit);
  return v % n;
}

std::vector<int64_t> SecretStream::Permutation(int64_t n) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[Below(static_cast<uint64_t>(i + 1))]);
  return order;
}

Eigen::MatrixXd GaussianMatrix(int64_t rows, int64_t cols, SecretStream& stream) {
  Eigen::MatrixXd m(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m(r, c) = stream.Normal();
  }
  return m;
}

Eigen::MatrixXd OrthonormalBasis(int64_t dim, int64_t count, SecretStream& stream) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(GaussianMatrix(dim, count, stream));
  return qr.householderQ() * Eigen::MatrixXd::Identity(dim, count);
}

}  // namespace securemark::codes
