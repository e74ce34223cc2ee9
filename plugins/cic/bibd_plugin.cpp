// cic.bibd: AND-anti-collusion codes from (v,k,1) block designs; copies=2 concatenates two
// of them (SecureMark-DL's two-part customer identity code).
#include "codes/bibd.h"
#include "key_output.h"

namespace securemark {
namespace {

class BibdCodes : public Node {
 public:
  static constexpr Param<std::string> kDesign{
      "design", "singer", "singer, pg2, ag2 (planes over GF(q)), ag3, pg3 (lines of 3-spaces), sts",
      Choices{"singer|pg2|ag2|ag3|pg3|sts"}};
  static constexpr Param<int64_t> kQ{"q", 5, "Prime power q (for sts: the number of points v).",
                                     Range{2, 100000}};
  static constexpr Param<int64_t> kCopies{"copies", 1, "1, or 2 for a two-part (product) code.",
                                          Range{1, 2}};

  static Contract GetContract() {
    return Contract::Build("2.0.0",
                           "AND-ACC fingerprint codes from balanced incomplete block designs.",
                           cic::kCodebook, cic::kBasis, cic::kSummary, kDesign, kQ, kCopies,
                           cic::kMakeBasis, cic::kSeed);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::BlockDesign design,
                        codes::MakeDesign(ctx.Get(kDesign), ctx.Get(kQ)));
    nlohmann::json summary = {{"design", design.name},
                              {"v", design.v},
                              {"k", design.k},
                              {"blocks", design.blocks.size()}};
    // Verification costs O(blocks·k²); it is skipped only for designs far beyond any test.
    const double cost = static_cast<double>(design.blocks.size()) * design.k * design.k;
    if (cost <= 2e8) {
      SM_RETURN_IF_ERROR(design.Verify());
      summary["verified"] = true;
    } else {
      summary["verified"] = false;
      ctx.Warn("design too large to verify here (" + std::to_string(cost) + " pair checks)");
    }
    // The design is public mathematics; which customer gets which block, and which code
    // bit each point becomes, are drawn secretly (each copy of a product on its own).
    const codes::SecretSeed root = cic::SecretRoot(ctx);
    codes::SecretStream stream(root.Derive("code word assignment"));
    codes::Codebook codebook = codes::Codebook::AndAcc(cic::Relabelled(design, stream));
    if (ctx.Get(kCopies) == 2) {
      SM_ASSIGN_OR_RETURN(codebook,
                          codes::Codebook::Product(
                              codebook, codes::Codebook::AndAcc(cic::Relabelled(design, stream))));
    }
    return cic::EmitCodebook(ctx, codebook, root, summary);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::BibdCodes, cic, bibd)
