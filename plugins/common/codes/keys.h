// Secret keys of the fingerprinting scheme and fingerprint vectors built from them:
// an orthonormal basis U (QR of a seeded Gaussian) that turns code bits into a vector,
// F_j = Σ_i b_ij u_i, and a Gaussian projection X that reads F back out of weights.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "codes/codebook.h"
#include "securemark/values.h"

namespace securemark::codes {

// dim × count with orthonormal columns (count <= dim).
Eigen::MatrixXd OrthonormalBasis(int64_t dim, int64_t count, uint64_t seed);
// rows × cols, entries N(0, 1).
Eigen::MatrixXd GaussianMatrix(int64_t rows, int64_t cols, uint64_t seed);

// F_j = U b_j for user j of the codebook (U has codebook.length() columns).
Eigen::VectorXd FingerprintVector(const Codebook& codebook, const Eigen::MatrixXd& basis,
                                  int64_t user);

// The SecureMark-DL layout F = (p ‖ f): community bits p as ±1, then the identity part f.
Eigen::VectorXd ComposeFingerprint(const std::vector<uint8_t>& community_bits,
                                   const Eigen::VectorXd& identity);
// Splits an extracted vector back into (community part, identity part).
std::pair<Eigen::VectorXd, Eigen::VectorXd> SplitFingerprint(const Eigen::VectorXd& f,
                                                             int64_t community_bits);

Tensor ToTensor(const Eigen::MatrixXd& m);
StatusOr<Eigen::MatrixXd> MatrixFromTensor(const Tensor& t);

}  // namespace securemark::codes
