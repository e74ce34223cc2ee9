// cic.community: puts each customer's community code (crc.*) in front of its identity
// code, SecureMark-DL's fingerprint F = (p || u): 60 + 242 = 302 bits for 17,424 customers.
#include "graph/codes_table.h"
#include "key_output.h"

namespace securemark {
namespace {

class CommunityPrefix : public Node {
 public:
  static constexpr Input<codes::Codebook> kIdentity{"identity", "The identity (AND-ACC) code."};
  static constexpr Input<domain::CommunityCodes> kCommunities{
      "communities", "Community codes per graph node (crc.*)."};

  static Contract GetContract() {
    return Contract::Build("2.0.0",
                           "Community code in front of the identity code. Customer u is graph "
                           "node u mod nodes (customers beyond the graph share the codes of "
                           "earlier ones).",
                           kIdentity, kCommunities, cic::kCodebook, cic::kBasis, cic::kSummary,
                           cic::kMakeBasis, cic::kSeed);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(codes::Codebook identity, ctx.Get(kIdentity));
    SM_ASSIGN_OR_RETURN(domain::CommunityCodes table, ctx.Get(kCommunities));
    SM_ASSIGN_OR_RETURN(graph::NphResult communities, graph::CodesFromTable(table));
    const int64_t nodes = static_cast<int64_t>(communities.codes.size());
    if (nodes == 0) return InvalidArgumentError("input 'communities' has no customers");
    const int64_t bits = communities.bits;
    std::vector<uint8_t> prefix(identity.users() * bits);
    for (int64_t u = 0; u < identity.users(); ++u) {
      const uint64_t code = communities.codes[u % nodes];
      for (int64_t b = 0; b < bits; ++b) prefix[u * bits + b] = (code >> b) & 1;
    }
    SM_ASSIGN_OR_RETURN(codes::Codebook full,
                        codes::Codebook::Prefixed(bits, std::move(prefix), identity));
    nlohmann::json summary = {
        {"community_bits", bits}, {"identity_bits", identity.length()}, {"graph_nodes", nodes}};
    if (identity.users() > nodes) {
      ctx.Warn(std::to_string(identity.users()) + " customers but only " + std::to_string(nodes) +
               " graph nodes: community codes repeat");
    }
    return cic::EmitCodebook(ctx, full, cic::SecretRoot(ctx), summary);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::CommunityPrefix, cic, community)
