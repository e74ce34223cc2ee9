// cic.tardos: symmetric Tardos codes with a score threshold for a target false-accusation
// probability.
#include "codes/tardos.h"
#include "key_output.h"

namespace securemark {
namespace {

class TardosCodes : public Node {
 public:
  static constexpr Param<int64_t> kUsers{"users", 100, "Number of customers.", Range{2, 1000000}};
  static constexpr Param<int64_t> kColluders{"colluders", 3, "Largest coalition to trace (c).",
                                             Range{1, 100}};
  static constexpr Param<double> kEpsilon{
      "epsilon1", 1e-3, "Target probability of accusing any innocent.", Range{1e-12, 0.5}};
  static Contract GetContract() {
    return Contract::Build("2.0.0", "Symmetric Tardos codes (arcsine biases, cutoff 1/(300c)).",
                           cic::kCodebook, cic::kBasis, cic::kSummary, kUsers, kColluders, kEpsilon,
                           cic::kMakeBasis, cic::kSeed);
  }
  Status Process(Context& ctx) override {
    const codes::TardosParams p{ctx.Get(kUsers), ctx.Get(kColluders), ctx.Get(kEpsilon)};
    const codes::SecretSeed root = cic::SecretRoot(ctx);
    codes::SecretStream stream(root.Derive("tardos code"));
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, codes::TardosCodebook(p, stream));
    const double z = std::stod(codebook.extra().Attr("tardos.threshold"));
    nlohmann::json summary = {{"threshold", z},
                              {"false_accusation_bound",
                               codes::TardosFalseAccusationBound(z, codebook.length(), p.users)}};
    return cic::EmitCodebook(ctx, codebook, root, summary);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::TardosCodes, cic, tardos)
