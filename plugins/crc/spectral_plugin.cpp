// crc.spectral: community relationship codes by spectral hashing of the social graph.
#include "crc_ports.h"
#include "graph/spectral_hash.h"

namespace securemark {
namespace {

class SpectralCodes : public Node {
 public:
  static constexpr Param<int64_t> kDimensions{
      "dimensions", 15,
      "Eigenvectors used. Up to this many bits, each bit is one eigenvector's sign; longer "
      "codes cut their embedding with random hyperplanes.",
      Range{1, 64}};
  static constexpr Param<int64_t> kSeed{"seed", 1, "Seed of the start block and hyperplanes.",
                                        Range{0, 9.2e18}};
  static constexpr Param<int64_t> kMaxIterations{
      "max_iterations", 300, "Power steps allowed for the eigenvectors.", Range{1, 1e6}};
  static constexpr Output<JsonDocument> kSummary{
      "summary", "Bits, nodes, eigenvalues behind the bits, power steps and bit balance."};
  static Contract GetContract() {
    return Contract::Build("1.0.0",
                           "Community codes by spectral hashing: signs of the leading "
                           "non-trivial eigenvectors of the normalised adjacency.",
                           crc::kGraph, crc::kCodes, kSummary, crc::kBits, kDimensions,
                           kMaxIterations, kSeed);
  }
  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(graph::Graph g, ctx.Get(crc::kGraph));
    graph::SpectralOptions o;
    o.bits = ctx.Get(crc::kBits);
    o.max_iterations = ctx.Get(kMaxIterations);
    o.dimensions = ctx.Get(kDimensions);
    o.seed = static_cast<uint64_t>(ctx.Get(kSeed));
    SM_ASSIGN_OR_RETURN(graph::SpectralResult spectral, graph::SpectralHashWithDetails(g, o));
    if (!spectral.converged) {
      ctx.Warn("the eigenvalues had not settled after " + std::to_string(spectral.iterations) +
               " power steps; the codes use the vectors reached");
    }
    const graph::NphResult& r = spectral.codes;
    // Share of customers with each bit set: a bit nearly constant says little.
    std::vector<double> ones(r.bits, 0.0);
    for (uint64_t code : r.codes) {
      for (int64_t b = 0; b < r.bits; ++b) ones[b] += static_cast<double>((code >> b) & 1);
    }
    for (double& x : ones) x /= static_cast<double>(std::max<size_t>(r.codes.size(), 1));
    SM_RETURN_IF_ERROR(ctx.Set(crc::kCodes, crc::CodesTable(g, r)));
    return ctx.Set(kSummary, JsonDocument(nlohmann::json{
                                 {"bits", r.bits}, {"nodes", g.nodes()}, {"share_of_ones", ones}}
                                              .dump()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::SpectralCodes, crc, spectral)
