// cic.orthogonal: orthogonal fingerprinting, F_j = u_j (one basis vector per customer).
#include "key_output.h"

namespace securemark {
namespace {

class OrthogonalCodes : public Node {
 public:
  static constexpr Param<int64_t> kUsers{"users", 30, "Number of customers.", Range{1, 4096}};
  static Contract GetContract() {
    return Contract::Build(
        "2.0.0", "Orthogonal fingerprints: one orthonormal basis vector per customer.",
        cic::kCodebook, cic::kBasis, cic::kSummary, kUsers, cic::kMakeBasis, cic::kSeed);
  }
  Status Process(Context& ctx) override {
    return cic::EmitCodebook(ctx, codes::Codebook::Orthogonal(ctx.Get(kUsers)),
                             cic::SecretRoot(ctx), nlohmann::json::object());
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::OrthogonalCodes, cic, orthogonal)
