// report.privacy_table: the structure of SecureMark-DL's Tables I-II — for each defence
// setup (none, one defender, several), the model's test accuracy and, for each inversion
// attack, how well the attacker reconstructed the owners' images.
#include <sstream>

#include <nlohmann/json.hpp>

#include "securemark/node.h"

namespace securemark {
namespace {

using nlohmann::json;

class PrivacyTable : public Node {
 public:
  static constexpr Input<JsonDocument> kTrainings{
      "trainings", "server_trainer reports, one per setup, in the order of 'setups'.", kMany};
  static constexpr Input<JsonDocument> kAttacks{
      "attacks", "attacker.inversion reports: each setup's attacks in turn.", kMany};
  static constexpr Output<JsonDocument> kSummary{"summary", "The table as JSON."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};
  static constexpr Param<std::vector<std::string>> kSetups{
      "setups", R"(["no defender", "single defender", "multiple defenders"])",
      "Names of the setups, one per training report."};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Accuracy and inversion scores per defence setup and attack.",
                           kTrainings, kAttacks, kSummary, kTable, kSetups);
  }

  Status Process(Context& ctx) override {
    const std::vector<std::string> setups = ctx.Get(kSetups);
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> trainings, ctx.GetAll(kTrainings));
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> attacks, ctx.GetAll(kAttacks));
    if (trainings.size() != setups.size() || setups.empty() ||
        attacks.size() % setups.size() != 0) {
      return InvalidArgumentError(
          std::to_string(setups.size()) + " setups need as many 'trainings' (got " +
          std::to_string(trainings.size()) + ") and a multiple of that many 'attacks' (got " +
          std::to_string(attacks.size()) + ")");
    }
    const size_t per_setup = attacks.size() / setups.size();
    json rows = json::array();
    std::ostringstream csv;
    csv << "setup,test_accuracy,attack,mse,ssim,perceptual,reprint_accuracy\n";
    for (size_t s = 0; s < setups.size(); ++s) {
      const json training = json::parse(trainings[s].text(), nullptr, false);
      if (!training.is_object() || !training.contains("test_accuracy") ||
          !training["test_accuracy"].is_number())
        return InvalidArgumentError("input 'trainings[" + std::to_string(s) +
                                    "]' is not a server_trainer report with test_accuracy");
      const double accuracy = training["test_accuracy"].get<double>();
      for (size_t a = 0; a < per_setup; ++a) {
        const size_t i = s * per_setup + a;
        const json r = json::parse(attacks[i].text(), nullptr, false);
        for (const char* field : {"attack", "mse", "ssim", "perceptual", "reprint_accuracy"}) {
          if (!r.is_object() || !r.contains(field) || !r[field].is_number())
            return InvalidArgumentError("input 'attacks[" + std::to_string(i) +
                                        "]' is not an attacker.inversion report (no '" + field +
                                        "')");
        }
        rows.push_back({{"setup", setups[s]},
                        {"test_accuracy", accuracy},
                        {"attack", r["attack"]},
                        {"mse", r["mse"]},
                        {"ssim", r["ssim"]},
                        {"perceptual", r["perceptual"]},
                        {"reprint_accuracy", r["reprint_accuracy"]}});
        csv << '"' << setups[s] << "\"," << accuracy << ",Attack" << r["attack"].get<int64_t>()
            << ',' << r["mse"].get<double>() << ',' << r["ssim"].get<double>() << ','
            << r["perceptual"].get<double>() << ',' << r["reprint_accuracy"].get<double>() << '\n';
        ctx.Info(setups[s] + " Attack" + std::to_string(r["attack"].get<int64_t>()) + ": mse " +
                 std::to_string(r["mse"].get<double>()) + ", ssim " +
                 std::to_string(r["ssim"].get<double>()));
      }
    }
    SM_RETURN_IF_ERROR(ctx.Set(kSummary, JsonDocument(json{{"rows", rows}}.dump(2))));
    return ctx.Set(kTable, Blob(csv.str()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::PrivacyTable, report, privacy_table)
