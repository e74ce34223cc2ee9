// Fingerprint codebooks: which code bits each customer (user) gets. Users are numbered
// 0..users-1; positions 0..length-1. Representations stay compact so that a million users
// fit: AND-ACC codes keep only each user's zero positions (its block).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codes/bibd.h"
#include "securemark/values.h"

namespace securemark::codes {

// How bits become fingerprint coefficients: antipodal b = 2c-1 (AND-ACC, Tardos), or
// on-off b = c (orthogonal fingerprinting: F_j = u_j).
enum class Modulation { kAntipodal, kOnOff };

class Codebook {
 public:
  static constexpr std::string_view kTypeName = "Codebook";

  // The bit complement of the incidence vectors of a design's blocks: user j has zeros
  // exactly on block j. Resilient to k-1 averaging colluders when λ = 1.
  static Codebook AndAcc(const BlockDesign& design);
  // The identity: user j has a single one at position j.
  static Codebook Orthogonal(int64_t users);
  // Two codes side by side: user (a, b) -> a * b.users() + b gets a's word then b's word.
  static StatusOr<Codebook> Product(const Codebook& a, const Codebook& b);
  // A per-user prefix (e.g. a 60-bit community code) in front of an identity code:
  // SecureMark-DL's F = (p || u). `prefix_bits` is users × prefix_length, row per user;
  // detection decodes the identity part only, the prefix is for screening.
  static StatusOr<Codebook> Prefixed(int64_t prefix_length, std::vector<uint8_t> prefix_bits,
                                     const Codebook& identity);
  // Explicit bits, row per user (Tardos codes).
  static Codebook Dense(std::string name, int64_t length, int64_t users, std::vector<uint8_t> bits,
                        Modulation modulation);

  const std::string& name() const { return name_; }
  int64_t length() const { return length_; }
  int64_t users() const { return users_; }
  Modulation modulation() const { return modulation_; }
  // Colluders it is designed to withstand (k-1 for AND-ACC; 0 when not applicable).
  int64_t resilience() const { return resilience_; }

  uint8_t Bit(int64_t position, int64_t user) const;
  // Positions where the user's bit is 0, sorted.
  std::vector<int32_t> Zeros(int64_t user) const;
  // Zero positions without copying, for AND-ACC codebooks (nullptr for other kinds).
  const int32_t* ZerosData(int64_t user) const {
    return kind_ == Kind::kZeros ? zeros_.data() + user * zeros_per_user_ : nullptr;
  }
  int64_t zeros_per_user() const { return zeros_per_user_; }
  bool is_product() const { return kind_ == Kind::kProduct; }
  bool is_prefixed() const { return kind_ == Kind::kPrefixed; }
  // The user's coefficient vector b (length()): ±1 or 0/1 by modulation.
  void Coefficients(int64_t user, double* out) const;
  // Splits a product codebook back into its parts, a prefixed one into {prefix, identity}
  // (empty for others).
  const std::vector<Codebook>& parts() const { return parts_; }

  // Extra key/value data carried with the codebook (e.g. Tardos biases live in tensors).
  TensorMap& extra() { return extra_; }
  const TensorMap& extra() const { return extra_; }

  std::string Encode() const;
  static StatusOr<Codebook> Decode(std::string_view bytes);

 private:
  enum class Kind { kZeros, kIdentity, kDense, kProduct, kPrefixed };

  std::string name_;
  Kind kind_ = Kind::kIdentity;
  int64_t length_ = 0;
  int64_t users_ = 0;
  int64_t zeros_per_user_ = 0;
  Modulation modulation_ = Modulation::kAntipodal;
  int64_t resilience_ = 0;
  std::vector<int32_t> zeros_;   // kZeros: users × zeros_per_user
  std::vector<uint8_t> bits_;    // kDense: users × length
  std::vector<Codebook> parts_;  // kProduct, kPrefixed: two parts
  TensorMap extra_;
};

}  // namespace securemark::codes
