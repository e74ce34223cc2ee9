#include "graph/nph.h"

#include <malloc.h>
#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include <Eigen/Dense>
#include <Eigen/Sparse>

namespace securemark::graph {
namespace {

using Sparse = Eigen::SparseMatrix<double, Eigen::RowMajor>;
using Matrix = Eigen::MatrixXd;
using Tall = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // n × r

// |N[a] ∩ N[b]| for closed neighbourhoods: the kernel inner product of rows a and b.
double ClosedOverlap(const Graph& g, int64_t a, int64_t b) {
  if (a == b) return static_cast<double>(g.degree(a)) + 1.0;
  // Common open neighbours, plus a and b themselves when they are adjacent.
  double n = 2.0 * g.HasEdge(a, b);
  const int32_t *i = g.begin(a), *ie = g.end(a), *j = g.begin(b), *je = g.end(b);
  while (i != ie && j != je) {
    if (*i < *j)
      ++i;
    else if (*j < *i)
      ++j;
    else {
      n += 1;
      ++i;
      ++j;
    }
  }
  return n;
}

Sparse AdjacencyRows(const Graph& g) {  // A + I
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(g.nodes() + 2 * g.edges());
  for (int64_t v = 0; v < g.nodes(); ++v) {
    t.emplace_back(v, v, 1.0);
    for (const int32_t* u = g.begin(v); u != g.end(v); ++u) t.emplace_back(v, *u, 1.0);
  }
  Sparse k(g.nodes(), g.nodes());
  k.setFromTriplets(t.begin(), t.end());
  return k;
}

// LLE reconstruction weights from each node's k nearest nodes in the kernel feature space
// (candidates: nodes within two hops, the only ones with overlapping rows).
Sparse LleWeights(const Graph& g, int64_t k) {
  std::vector<Eigen::Triplet<double>> t;
  std::unordered_map<int64_t, double> overlap;
  for (int64_t i = 0; i < g.nodes(); ++i) {
    overlap.clear();
    auto count = [&](int64_t l) {  // l ∈ N[i]: every j ∈ N[l] shares l with i
      overlap[l] += 1;
      for (const int32_t* j = g.begin(l); j != g.end(l); ++j) overlap[*j] += 1;
    };
    count(i);
    for (const int32_t* l = g.begin(i); l != g.end(i); ++l) count(*l);
    overlap.erase(i);
    if (overlap.empty()) continue;
    const double self = static_cast<double>(g.degree(i)) + 1.0;
    std::vector<std::pair<double, int64_t>> by_distance;
    by_distance.reserve(overlap.size());
    for (const auto& [j, s] : overlap) {
      by_distance.emplace_back(self + static_cast<double>(g.degree(j)) + 1.0 - 2.0 * s, j);
    }
    const size_t take = std::min<size_t>(k, by_distance.size());
    std::partial_sort(by_distance.begin(), by_distance.begin() + take, by_distance.end());
    std::vector<int64_t> nn(take);
    for (size_t a = 0; a < take; ++a) nn[a] = by_distance[a].second;
    // G_ab = (x_i − x_a)·(x_i − x_b), from kernel inner products.
    Matrix gram(take, take);
    for (size_t a = 0; a < take; ++a) {
      for (size_t b = a; b < take; ++b) {
        const double v = self - overlap[nn[a]] - overlap[nn[b]] + ClosedOverlap(g, nn[a], nn[b]);
        gram(a, b) = gram(b, a) = v;
      }
    }
    gram.diagonal().array() += 1e-3 * std::max(gram.trace(), 1e-9) + 1e-9;
    Eigen::VectorXd w = gram.ldlt().solve(Eigen::VectorXd::Ones(take));
    const double sum = w.sum();
    if (!std::isfinite(sum) || std::fabs(sum) < 1e-12) continue;
    for (size_t a = 0; a < take; ++a) t.emplace_back(i, nn[a], w(a) / sum);
  }
  Sparse w(g.nodes(), g.nodes());
  w.setFromTriplets(t.begin(), t.end());
  return w;
}

// K = B Bᵀ with B = A + I: the Gram matrix of the adjacency rows, positive semi-definite
// by construction (A + I alone is not, and the objective would be unbounded below).
// C and F are kept transposed, as tall n × r row-major matrices (Ct, Ft), so that the
// sparse products stream contiguous rows. In that layout, with Mt = W Ft,
//   J = tr(K) − 2⟨K Ct, Mt⟩ + ⟨Mt, Mt S⟩,  S = Ctᵀ K Ct,
//   ∇Ct = 2 K (Ct Mtᵀ Mt − Mt),  ∇Ft = 2 Wᵀ (Mt S − K Ct).
class Objective {
 public:
  Objective(const Sparse& rows, const Sparse& weights)
      : b_(rows), w_(weights), wt_(weights.transpose()), trace_(rows.cwiseProduct(rows).sum()) {}

  Tall M(const Tall& ft) const { return w_ * ft; }
  Tall TimesK(const Tall& x) const {
    const Tall half = b_ * x;  // row-major, so the second product streams rows too
    return b_ * half;
  }

  // J(Ct, Mt); also leaves K Ct for the gradients.
  double Value(const Tall& ct, const Tall& mt, Tall* kct_out = nullptr) const {
    Tall kct = TimesK(ct);
    const Matrix s = ct.transpose() * kct;
    const double value =
        trace_ - 2.0 * kct.cwiseProduct(mt).sum() + (mt * s).cwiseProduct(mt).sum();
    if (kct_out) *kct_out = std::move(kct);
    return value;
  }
  Tall GradC(const Tall& ct, const Tall& mt) const {
    const Matrix g = mt.transpose() * mt;
    return 2.0 * TimesK(ct * g - mt);
  }
  Tall GradF(const Tall& ct, const Tall& mt, const Tall& kct) const {
    const Matrix s = ct.transpose() * kct;
    return 2.0 * (wt_ * (mt * s - kct));
  }

 private:
  const Sparse& b_;
  const Sparse& w_;
  const Sparse wt_;
  double trace_;
};

// One projected-gradient step on x with an Armijo search along the projection arc (Lin
// 2007). The step carries over between calls, so the search usually needs one or two
// evaluations; growth and shrinkage are both bounded.
template <typename Eval>
double ArmijoStep(Tall& x, const Tall& grad, double current, double& alpha, double sigma,
                  double beta, Eval eval) {
  auto project = [&](double a) { return Tall((x - a * grad).cwiseMax(0.0)); };
  auto sufficient = [&](const Tall& next, double value) {
    return value - current <= sigma * grad.cwiseProduct(next - x).sum();
  };
  Tall next = project(alpha);
  double value = eval(next);
  if (sufficient(next, value)) {
    for (int i = 0; i < 4; ++i) {
      Tall bigger = project(alpha / beta);
      const double v = eval(bigger);
      if (!sufficient(bigger, v)) break;
      alpha /= beta;
      next = std::move(bigger);
      value = v;
    }
  } else {
    for (int i = 0; i < 30 && !sufficient(next, value); ++i) {
      alpha *= beta;
      next = project(alpha);
      value = eval(next);
    }
    if (!sufficient(next, value)) return current;  // no progress possible now
  }
  x = std::move(next);
  return value;
}

}  // namespace

int HammingDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

NphResult RandomCodes(int64_t nodes, int64_t bits, uint64_t seed) {
  std::mt19937_64 rng(seed);
  NphResult r;
  r.bits = bits;
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  r.codes.resize(nodes);
  for (auto& c : r.codes) c = rng() & mask;
  return r;
}

StatusOr<NphResult> NeighborhoodPreservingHash(const Graph& g, const NphOptions& o) {
  if (o.bits < 1 || o.bits > 64) return InvalidArgumentError("NPH codes have 1 to 64 bits");
  if (g.nodes() < 2) return InvalidArgumentError("NPH needs a graph with at least two nodes");
  const int64_t n = g.nodes(), r = o.bits;
  // Every objective evaluation makes several n × r temporaries; glibc would give each its
  // own fresh mmap and fault it in page by page (measured: 60% of the run time on a
  // 100,000-node graph). Keeping freed blocks in the heap makes them reusable.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const Sparse rows = AdjacencyRows(g);
  const Sparse weights = LleWeights(g, o.neighbours);
  Objective objective(rows, weights);
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Tall ct(n, r), ft(n, r);
  for (int64_t i = 0; i < ct.size(); ++i) ct.data()[i] = u(rng) / std::sqrt(static_cast<double>(n));
  for (int64_t i = 0; i < ft.size(); ++i) ft.data()[i] = u(rng);
  Tall mt = objective.M(ft);
  Tall kct;
  double value = objective.Value(ct, mt, &kct);
  double alpha_c = 1.0, alpha_f = 1.0;
  NphResult result;
  result.bits = r;
  for (int64_t it = 0; it < o.iterations; ++it) {
    const Tall gc = objective.GradC(ct, mt);
    value = ArmijoStep(ct, gc, value, alpha_c, o.sigma, o.beta,
                       [&](const Tall& x) { return objective.Value(x, mt); });
    value = objective.Value(ct, mt, &kct);
    const Tall gf = objective.GradF(ct, mt, kct);
    value = ArmijoStep(ft, gf, value, alpha_f, o.sigma, o.beta,
                       [&](const Tall& x) { return objective.Value(ct, objective.M(x)); });
    mt = objective.M(ft);
    result.objective.push_back(value);
    if (o.on_iteration) o.on_iteration(it + 1, o.iterations);
  }
  // Bit b of a node: is its F value above the median of row b?
  result.codes.assign(n, 0);
  std::vector<double> row(n);
  for (int64_t b = 0; b < r; ++b) {
    for (int64_t v = 0; v < n; ++v) row[v] = ft(v, b);
    std::vector<double> sorted(row);
    std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
    const double median = sorted[n / 2];
    for (int64_t v = 0; v < n; ++v) {
      if (row[v] > median) result.codes[v] |= uint64_t{1} << b;
    }
  }
  return result;
}

}  // namespace securemark::graph
