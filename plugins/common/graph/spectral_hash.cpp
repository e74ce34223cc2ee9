#include "graph/spectral_hash.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/Sparse>

namespace securemark::graph {
namespace {

using Sparse = Eigen::SparseMatrix<double, Eigen::RowMajor>;

// D^-1/2 A D^-1/2; isolated nodes get an empty row and column.
Sparse NormalisedAdjacency(const Graph& g) {
  std::vector<double> scale(g.nodes());
  for (int64_t v = 0; v < g.nodes(); ++v)
    scale[v] = g.degree(v) > 0 ? 1.0 / std::sqrt(static_cast<double>(g.degree(v))) : 0.0;
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(2 * g.edges());
  for (int64_t v = 0; v < g.nodes(); ++v) {
    for (const int32_t* u = g.begin(v); u != g.end(v); ++u)
      t.emplace_back(v, *u, scale[v] * scale[*u]);
  }
  Sparse m(g.nodes(), g.nodes());
  m.setFromTriplets(t.begin(), t.end());
  return m;
}

// An orthonormal basis of the block's columns, orthogonal to `trivial`.
void Orthonormalise(Eigen::MatrixXd& block, const Eigen::VectorXd& trivial) {
  block -= trivial * (trivial.transpose() * block);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(block);
  block = qr.householderQ() * Eigen::MatrixXd::Identity(block.rows(), block.cols());
}

}  // namespace

StatusOr<SpectralResult> SpectralHashWithDetails(const Graph& g, const SpectralOptions& o) {
  if (o.bits < 1 || o.bits > 64) return InvalidArgumentError("spectral codes have 1 to 64 bits");
  if (o.max_iterations < 1) return InvalidArgumentError("spectral hashing needs an iteration");
  if (o.dimensions < 1) return InvalidArgumentError("spectral hashing needs a dimension");
  const int64_t wanted = std::min(o.bits, o.dimensions);
  const int64_t n = g.nodes();
  // A few extra columns speed convergence of the wanted ones.
  const int64_t width = wanted + std::min<int64_t>(10, std::max<int64_t>(2, wanted / 2));
  if (n < width + 2) {
    return InvalidArgumentError("spectral hashing with " + std::to_string(wanted) +
                                " eigenvectors (" + std::to_string(o.bits) +
                                " bits) needs at least " + std::to_string(width + 2) +
                                " nodes; the graph has " + std::to_string(n));
  }
  const Sparse m = NormalisedAdjacency(g);
  Eigen::VectorXd trivial(n);
  for (int64_t v = 0; v < n; ++v) trivial(v) = std::sqrt(static_cast<double>(g.degree(v)));
  if (trivial.norm() > 0) trivial.normalize();

  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd q(n, width);
  for (int64_t i = 0; i < q.size(); ++i) q.data()[i] = normal(rng);
  Orthonormalise(q, trivial);

  SpectralResult result;
  Eigen::VectorXd previous = Eigen::VectorXd::Constant(wanted, 2.0);
  Eigen::MatrixXd ritz_vectors;
  constexpr int64_t kCheckEvery = 5;
  for (int64_t it = 1; it <= o.max_iterations; ++it) {
    q = 0.5 * (q + m * q);
    if (it % kCheckEvery != 0 && it != o.max_iterations) {
      if (it % 2 == 0) Orthonormalise(q, trivial);  // keeps the block well conditioned
      continue;
    }
    Orthonormalise(q, trivial);
    const Eigen::MatrixXd projected = q.transpose() * (m * q);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(projected);  // ascending
    const Eigen::VectorXd values = eig.eigenvalues().reverse().head(wanted);
    ritz_vectors = q * eig.eigenvectors().rowwise().reverse();
    result.iterations = it;
    result.eigenvalues.assign(values.data(), values.data() + values.size());
    const double change = (values - previous).cwiseAbs().maxCoeff();
    previous = values;
    if (change < o.tolerance) {
      result.converged = true;
      break;
    }
  }
  result.codes.bits = o.bits;
  result.codes.codes.assign(n, 0);
  Eigen::MatrixXd cuts = ritz_vectors.leftCols(wanted);  // a bit per column's sign
  if (o.bits > wanted) {
    result.hashed = true;
    for (int64_t j = 0; j < wanted; ++j) cuts.col(j) *= std::max(result.eigenvalues[j], 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const double norm = cuts.row(i).norm();
      if (norm > 0) cuts.row(i) /= norm;
    }
    Eigen::MatrixXd planes(wanted, o.bits);
    for (int64_t i = 0; i < planes.size(); ++i) planes.data()[i] = normal(rng);
    cuts = cuts * planes;
  }
  for (int64_t b = 0; b < o.bits; ++b) {
    for (int64_t i = 0; i < n; ++i) {
      if (cuts(i, b) > 0) result.codes.codes[i] |= uint64_t{1} << b;
    }
  }
  return result;
}

}  // namespace securemark::graph
