// attacker.collude: K customers pool their copies into one model, parameter by parameter:
// the average (the attack the codes are built to survive), the median, or a random pick
// among the copies for every entry.
#include <random>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "attacks/attacks.h"
#include "models/plugin_support.h"

namespace securemark {
namespace {

class Collude : public Node {
 public:
  static constexpr Input<models::ModelFile> kModels{"models", "Copies available to the attacker.",
                                                    kMany};
  static constexpr Output<models::ModelFile> kModel{"model", "The pooled model."};
  static constexpr Output<domain::Coalition> kCoalition{
      "coalition", "{members: indices into 'models', method}; the ground truth for evaluation."};
  static constexpr Param<int64_t> kK{"k", 0, "Random coalition size (0: use 'members').",
                                     Range{0, 1e6}};
  static constexpr Param<std::vector<int64_t>> kMembers{
      "members", "[]", "Indices of the colluding copies (empty with k = 0: all of them)."};
  static constexpr Param<std::string> kMethod{"method", "average", "How entries are pooled.",
                                              Choices{"average|median|random"}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Seed of the coalition and random picks.",
                                        Range{0, 9.2e18}};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Pools several customers' models into one (collusion).",
                           kModels, kModel, kCoalition, kK, kMembers, kMethod, kSeed);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(std::vector<models::ModelFile> files, ctx.GetAll(kModels));
    const int64_t n = static_cast<int64_t>(files.size());
    std::vector<int64_t> members = ctx.Get(kMembers);
    std::mt19937_64 rng(static_cast<uint64_t>(ctx.Get(kSeed)));
    if (ctx.Get(kK) > 0) {
      if (ctx.Get(kK) > n) {
        return InvalidArgumentError("a coalition of " + std::to_string(ctx.Get(kK)) +
                                    " needs that many models; got " + std::to_string(n));
      }
      std::vector<int64_t> all(n);
      for (int64_t i = 0; i < n; ++i) all[i] = i;
      std::shuffle(all.begin(), all.end(), rng);
      members.assign(all.begin(), all.begin() + ctx.Get(kK));
      std::sort(members.begin(), members.end());
    } else if (members.empty()) {
      for (int64_t i = 0; i < n; ++i) members.push_back(i);
    }
    if (members.empty()) return InvalidArgumentError("no models to pool");
    std::vector<torch::jit::Module> copies;
    for (int64_t m : members) {
      if (m < 0 || m >= n) {
        return InvalidArgumentError("member " + std::to_string(m) + " is not among the " +
                                    std::to_string(n) + " models");
      }
      StatusOr<torch::jit::Module> copy = models::LoadModel(files[m].bytes());
      if (!copy.ok()) {
        return copy.status().WithContext("input 'models[" + std::to_string(m) + "]'");
      }
      copies.push_back(std::move(*copy));
    }
    SM_RETURN_IF_ERROR(
        attacks::Pool(copies, ctx.Get(kMethod), static_cast<uint64_t>(ctx.Get(kSeed))));
    SM_RETURN_IF_ERROR(ctx.Set(kModel, models::ModelFile(models::SaveModel(copies[0]))));
    nlohmann::json coalition = {{"members", members}, {"method", ctx.Get(kMethod)}};
    return ctx.Set(kCoalition, domain::Coalition(JsonDocument(coalition.dump())));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::Collude, attacker, collude)
