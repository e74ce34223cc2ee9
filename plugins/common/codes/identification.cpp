#include "codes/identification.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/math/distributions/students_t.hpp>

namespace securemark::codes {
namespace {

// Residual spread is never taken below this fraction of the observation's own size per
// entry: copies averaged without any attack reproduce the code words to float precision,
// and a ratio of rounding errors is no evidence either way.
constexpr double kRelativeNoiseFloor = 1e-5;
// A column whose part outside the others' span is smaller than this (relative) cannot be
// told apart from them.
constexpr double kSeparable = 1e-6;

std::string Plural(int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

double StudentUpperTail(double t, int64_t dof) {
  if (std::isnan(t) || dof < 1) return 1;
  if (std::isinf(t)) return t > 0 ? 0 : 1;
  const boost::math::students_t_distribution<double> student(static_cast<double>(dof));
  return boost::math::cdf(boost::math::complement(student, t));
}

StatusOr<CodeFrame> CodeFrame::Of(const Codebook& codebook, const Extraction& extraction) {
  CodeFrame frame;
  frame.codebook_ = &codebook;
  // The provenance test's mean direction is fitted as a nuisance. The t-statistics are
  // then functions of the direction of z's component orthogonal to it; both provenance
  // statistics read that component only through its length. For a model made without
  // the key, z is spherically symmetric, so that direction is independent of the
  // provenance test: an unrelated model that passes stage 1 by chance meets stage 2 at
  // its own level, independently. Without the nuisance, passing stage 1 through the
  // mean statistic lifted every customer's t (seen on a random initialisation).
  const Eigen::VectorXd mean = MeanCodeWord(codebook);
  if (extraction.reading) {
    const KeyedReading& r = *extraction.reading;
    SM_ASSIGN_OR_RETURN(const Eigen::MatrixXd whiten,
                        WhiteningOf(codebook, extraction.basis, extraction.skip, r));
    const int64_t v = r.fingerprint.size(), skip = extraction.skip;
    frame.observed_ = whiten * r.fingerprint;
    frame.to_frame_ = whiten.rightCols(v - skip) * extraction.basis;
    frame.nuisance_ = whiten.leftCols(skip);
  } else {
    const int64_t length = codebook.length();
    if (static_cast<int64_t>(extraction.identity.size()) != length) {
      return InvalidArgumentError("the extraction has " +
                                  std::to_string(extraction.identity.size()) +
                                  " entries but the code has " + std::to_string(length));
    }
    frame.observed_ = Eigen::Map<const Eigen::VectorXd>(extraction.identity.data(), length);
    if (!frame.observed_.allFinite()) return DataLossError("the extraction is not finite");
    frame.nuisance_.resize(length, 0);
    frame.to_frame_ = Eigen::MatrixXd::Identity(length, length);
  }
  frame.all_ones_ = frame.to_frame_.rowwise().sum();
  if (mean.norm() > kSeparable) {
    frame.nuisance_.conservativeResize(Eigen::NoChange, frame.nuisance_.cols() + 1);
    frame.nuisance_.rightCols(1) = frame.to_frame_ * mean;
  }
  return frame;
}

Eigen::VectorXd CodeFrame::Column(int64_t user) const {
  if (const int32_t* zeros = codebook_->ZerosData(user)) {
    // c = 1 - 2·(indicator of the user's block): k columns instead of a full product.
    Eigen::VectorXd col = all_ones_;
    for (int64_t i = 0; i < codebook_->zeros_per_user(); ++i) col -= 2 * to_frame_.col(zeros[i]);
    return col;
  }
  Eigen::VectorXd c(codebook_->length());
  codebook_->Coefficients(user, c.data());
  return to_frame_ * c;
}

StatusOr<std::vector<CandidateTest>> CodeFrame::Fit(const std::vector<int64_t>& users,
                                                    int64_t* dof_out) const {
  const int64_t n = rows(), q = nuisance_.cols(), p = q + static_cast<int64_t>(users.size());
  if (users.empty()) return std::vector<CandidateTest>{};
  // Unit columns: the t-statistics do not depend on column scale, the rank does.
  Eigen::MatrixXd design(n, p);
  design.leftCols(q) = nuisance_;
  for (size_t i = 0; i < users.size(); ++i) design.col(q + i) = Column(users[i]);
  Eigen::VectorXd scale = design.colwise().norm().transpose();
  for (int64_t j = 0; j < p; ++j) {
    if (!(scale(j) > 0)) return InvalidArgumentError("a code word maps to zero");
    design.col(j) /= scale(j);
  }
  // Words can be linearly dependent (a product code's (a,b) + (a',b') = (a,b') + (a',b)):
  // the fit is then the projection on their span, and only weights that every exact
  // explanation of the fingerprint agrees on (estimable ones) can be tested.
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(design, Eigen::ComputeThinU | Eigen::ComputeFullV);
  const Eigen::VectorXd& sv = svd.singularValues();
  int64_t rank = 0;
  while (rank < sv.size() && sv(rank) > kSeparable * sv(0)) ++rank;
  const int64_t dof = n - rank;
  if (dof < 1) {
    return InvalidArgumentError(Plural(static_cast<int64_t>(users.size()), "candidate") +
                                " cannot be tested on a " + std::to_string(n) +
                                "-entry fingerprint");
  }
  const Eigen::MatrixXd v = svd.matrixV().leftCols(rank);
  const Eigen::VectorXd inverse_sv = sv.head(rank).cwiseInverse();
  const Eigen::VectorXd theta =
      v * inverse_sv.asDiagonal() * (svd.matrixU().leftCols(rank).transpose() * observed_);
  const double floor = kRelativeNoiseFloor * observed_.norm();
  const double noise2 = std::max((observed_ - design * theta).squaredNorm() / dof,
                                 floor * floor / static_cast<double>(n));
  const Eigen::MatrixXd null_space = svd.matrixV().rightCols(p - rank);
  double total = 0;
  for (int64_t j = q; j < p; ++j) total += theta(j) / scale(j);
  std::vector<CandidateTest> out(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const int64_t j = q + static_cast<int64_t>(i);
    CandidateTest& c = out[i];
    c.user = users[i];
    c.separable = null_space.cols() == 0 || null_space.row(j).norm() < kSeparable;
    if (!c.separable) continue;
    const double variance = (v.row(j).transpose().cwiseProduct(inverse_sv)).squaredNorm();
    c.share = total > 0 ? theta(j) / scale(j) / total : 0;
    c.t = theta(j) / std::sqrt(noise2 * variance);
    c.p_value = StudentUpperTail(c.t, dof);
  }
  if (dof_out) *dof_out = dof;
  return out;
}

StatusOr<std::vector<double>> CodeFrame::InnocentScores(
    const std::vector<int64_t>& coalition) const {
  const int64_t n = rows(), q = nuisance_.cols();
  const int64_t p0 = q + static_cast<int64_t>(coalition.size());
  if (n - p0 - 1 < 1) {
    return InvalidArgumentError("a coalition of " + std::to_string(coalition.size()) +
                                " leaves no room to test anyone on a " + std::to_string(n) +
                                "-entry fingerprint");
  }
  std::vector<bool> in(codebook_->users(), false);
  for (int64_t u : coalition) {
    if (u < 0 || u >= codebook_->users()) {
      return InvalidArgumentError("coalition member " + std::to_string(u) + " is not a user");
    }
    in[u] = true;
  }
  // Regress everything on the coalition once; each innocent's t is then a partial
  // regression of the residuals (Frisch-Waugh-Lovell).
  Eigen::MatrixXd base(n, p0);
  base.leftCols(q) = nuisance_;
  for (size_t i = 0; i < coalition.size(); ++i) base.col(q + i) = Column(coalition[i]);
  Eigen::MatrixXd frame_basis(n, 0);
  if (p0 > 0) {
    for (int64_t j = 0; j < p0; ++j) base.col(j).normalize();
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(base);
    frame_basis = qr.householderQ() * Eigen::MatrixXd::Identity(n, p0);
  }
  const auto residual = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    return p0 > 0 ? Eigen::VectorXd(x - frame_basis * (frame_basis.transpose() * x)) : x;
  };
  const Eigen::VectorXd rz = residual(observed_);
  const double rss0 = rz.squaredNorm();
  const int64_t dof = n - p0 - 1;
  const double floor = kRelativeNoiseFloor * observed_.norm();
  const double floor2 = floor * floor / static_cast<double>(n);
  std::vector<double> scores;
  scores.reserve(codebook_->users() - coalition.size());
  for (int64_t u = 0; u < codebook_->users(); ++u) {
    if (in[u]) continue;
    Eigen::VectorXd d = Column(u);
    const double norm = d.norm();
    if (!(norm > 0)) continue;
    const Eigen::VectorXd r = residual(d / norm);
    const double rr = r.squaredNorm();
    if (rr < kSeparable * kSeparable) continue;  // spanned by the coalition: untestable
    const double theta = r.dot(rz) / rr;
    const double noise2 = std::max((rss0 - theta * theta * rr) / dof, floor2);
    scores.push_back(theta * std::sqrt(rr / noise2));
  }
  return scores;
}

StatusOr<Identification> Identify(const Codebook& codebook, const Extraction& extraction,
                                  const std::vector<int64_t>& candidates, double per_user_level) {
  SM_ASSIGN_OR_RETURN(const CodeFrame frame, CodeFrame::Of(codebook, extraction));
  Identification out;
  out.whitened = extraction.reading.has_value();
  std::vector<int64_t> members;
  // The strongest candidates that leave at least one degree of freedom.
  for (int64_t user : candidates) {
    members.push_back(user);
    if (!frame.Fit(members).ok()) {
      members.pop_back();
      out.dropped.push_back({user, false, 0, 0, 1});
    }
  }
  while (!members.empty()) {
    SM_ASSIGN_OR_RETURN(std::vector<CandidateTest> tests, frame.Fit(members, &out.dof));
    // Inseparable candidates stay in the fit (they may explain the fingerprint) but are
    // never accused: some exact explanation leaves each of them out.
    auto weakest = tests.end();
    for (auto it = tests.begin(); it != tests.end(); ++it)
      if (it->separable && (weakest == tests.end() || it->p_value > weakest->p_value)) weakest = it;
    if (weakest == tests.end() || weakest->p_value <= per_user_level) {
      for (CandidateTest& c : tests) (c.separable ? out.kept : out.dropped).push_back(c);
      break;
    }
    out.dropped.push_back(*weakest);
    members.erase(members.begin() + (weakest - tests.begin()));
  }
  return out;
}

}  // namespace securemark::codes
