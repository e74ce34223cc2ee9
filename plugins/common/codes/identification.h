// Stage 2 of a verdict: which customers' code words does a suspect's fingerprint contain?
//
// Averaging collusion makes the fingerprint a non-negative combination of the colluders'
// code words plus whatever the attacks added: F = U Σ_j θ_j c_j + e. Stage 2 fits that
// model for the detector's candidates and tests each θ_j > 0 given the others, with the
// one-sided t-statistic of least squares. The fit runs in the provenance test's whitened
// frame z = (X Xᵀ)^(-1/2) F, where noise from weights made without the key is
// spherically symmetric (provenance.h). The t-statistic depends only on z's direction,
// so under that noise it has exactly Student's t distribution with (rows - columns)
// degrees of freedom, at whatever noise level the suspect has: a pruned or fine-tuned
// model is judged against its own residual, not against the clean coalitions a null set
// was made of, and a model unrelated to the deployment that passes stage 1 by chance is
// judged against noise, which it is: the fit includes stage 1's mean direction as a
// nuisance, which makes its t-statistics independent of stage 1's under that noise.
// Candidates are eliminated backwards (the weakest
// first) until every remaining one is significant at false_accusation / users; a
// colluder the detector missed inflates the residual, which makes the test conservative.
// Without a keyed reading, the correlations y = Uᵀ F stand in for z (exact over keys).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Dense>

#include "codes/codebook.h"
#include "codes/provenance.h"
#include "securemark/status.h"

namespace securemark::codes {

// What the vendor read out of a suspect.
struct Extraction {
  std::vector<double> identity;  // correlations y = Uᵀ F_identity
  // F, X Xᵀ, ‖w‖ and β, with the basis U and the number of community entries of F in
  // front of it; absent for extractions that do not carry them, which then skip the
  // provenance test (and say so) and are identified from y.
  std::optional<KeyedReading> reading;
  Eigen::MatrixXd basis;
  int64_t skip = 0;
};

struct CandidateTest {
  int64_t user = 0;
  // False when the other candidates' words span this one's (in part): the fingerprint
  // then has exact explanations without the user, who is never accused.
  bool separable = true;
  double share = 0;    // θ_j / Σ θ: the estimated weight of the user's copy in the average
  double t = 0;        // θ_j over its standard error
  double p_value = 1;  // P(T ≥ t) for Student's T with `dof` degrees of freedom
};

struct Identification {
  std::vector<CandidateTest> kept;     // all significant and separable, in the final fit
  std::vector<CandidateTest> dropped;  // eliminated or inseparable, with their last test
  int64_t dof = 0;                     // of the final fit
  bool whitened = false;               // fitted in the key's whitened frame
};

// The suspect and every customer's code word in the frame the fit runs in.
class CodeFrame {
 public:
  static StatusOr<CodeFrame> Of(const Codebook& codebook, const Extraction& extraction);

  // Tests each of `users` given all of them.
  StatusOr<std::vector<CandidateTest>> Fit(const std::vector<int64_t>& users,
                                           int64_t* dof = nullptr) const;
  // t-statistics of every customer outside `coalition` (a model's known contributors),
  // each tested given the coalition: the scores of known innocents.
  StatusOr<std::vector<double>> InnocentScores(const std::vector<int64_t>& coalition) const;

  int64_t rows() const { return observed_.size(); }

 private:
  Eigen::VectorXd Column(int64_t user) const;

  const Codebook* codebook_ = nullptr;
  Eigen::VectorXd observed_;
  Eigen::MatrixXd nuisance_;  // columns always fitted (community entries of F)
  Eigen::MatrixXd to_frame_;  // code word -> frame
  Eigen::VectorXd all_ones_;  // to_frame_ · 1, the start of every AND-ACC column
};

// Backward elimination from the candidates (ordered strongest first by the detector):
// the least significant separable candidate leaves the fit until all that remain have
// p ≤ per_user_level. Candidates beyond what the fingerprint's length can test, and those
// the others' words span, are dismissed.
StatusOr<Identification> Identify(const Codebook& codebook, const Extraction& extraction,
                                  const std::vector<int64_t>& candidates, double per_user_level);

// P(T ≥ t) for Student's T with `dof` degrees of freedom.
double StudentUpperTail(double t, int64_t dof);

}  // namespace securemark::codes
