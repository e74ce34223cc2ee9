// report.embedding_table: the analogue of DeepMarks' Table III — test accuracy of the
// baseline model, of a copy fine-tuned the same way without a fingerprint, and of the
// fingerprinted copies — with the fingerprint fit and the cost of embedding relative to
// training the base model.
#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "securemark/node.h"

namespace securemark {
namespace {

class EmbeddingTable : public Node {
 public:
  static constexpr Input<JsonDocument> kBase{"base", "server_trainer report of the base model."};
  static constexpr Input<JsonDocument> kPlain{
      "plain", "embedder report of a copy fine-tuned with mu = 0.", kOptional};
  static constexpr Input<JsonDocument> kEmbedded{"embedded", "embedder reports, one per customer.",
                                                 kMany};
  static constexpr Output<JsonDocument> kSummary{"summary", "The table as JSON."};
  static constexpr Output<Blob> kTable{"table", "The same as CSV."};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Accuracy before and after fingerprinting, and its cost.",
                           kBase, kPlain, kEmbedded, kSummary, kTable);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(nlohmann::json base, Parse(ctx, kBase));
    if (!base.contains("test_accuracy") || !base.contains("seconds")) {
      return InvalidArgumentError("input 'base' is not a server_trainer report");
    }
    SM_ASSIGN_OR_RETURN(std::vector<JsonDocument> docs, ctx.GetAll(kEmbedded));
    std::vector<double> accuracy, mse, seconds;
    for (size_t i = 0; i < docs.size(); ++i) {
      nlohmann::json r = nlohmann::json::parse(docs[i].text(), nullptr, false);
      if (!r.is_object() || !r.contains("fingerprint_mse")) {
        return InvalidArgumentError("input 'embedded[" + std::to_string(i) +
                                    "]' is not an embedder report");
      }
      accuracy.push_back(r.value("test_accuracy", -1.0));
      mse.push_back(r["fingerprint_mse"].get<double>());
      seconds.push_back(r.value("seconds", 0.0));
    }
    if (docs.empty()) return InvalidArgumentError("no embedder reports");
    auto stats = [](const std::vector<double>& v) {
      double sum = 0;
      for (double x : v) sum += x;
      return nlohmann::json{{"mean", sum / v.size()},
                            {"min", *std::min_element(v.begin(), v.end())},
                            {"max", *std::max_element(v.begin(), v.end())}};
    };
    // Training time without the per-epoch evaluations, to compare like with like.
    const double base_seconds = base.value("train_seconds", base["seconds"].get<double>());
    nlohmann::json summary = {
        {"baseline_accuracy", base["test_accuracy"]},
        {"fingerprinted_accuracy", stats(accuracy)},
        {"fingerprint_mse", stats(mse)},
        {"customers", docs.size()},
        {"base_training_seconds", base_seconds},
        {"embedding_seconds", stats(seconds)},
        {"embedding_to_training_ratio", stats(seconds)["mean"].get<double>() / base_seconds}};
    std::ostringstream csv;
    csv << "model,test_accuracy\n";
    csv << "baseline," << base["test_accuracy"].get<double>() << '\n';
    if (ctx.Has(kPlain)) {
      SM_ASSIGN_OR_RETURN(nlohmann::json plain, Parse(ctx, kPlain));
      summary["finetuned_without_fingerprint_accuracy"] = plain.value("test_accuracy", -1.0);
      csv << "finetuned_without_fingerprint," << plain.value("test_accuracy", -1.0) << '\n';
    }
    csv << "with_fingerprint_mean," << summary["fingerprinted_accuracy"]["mean"].get<double>()
        << '\n';
    csv << "with_fingerprint_min," << summary["fingerprinted_accuracy"]["min"].get<double>()
        << '\n';
    ctx.Info("baseline " + std::to_string(base["test_accuracy"].get<double>()) +
             ", with fingerprint " +
             std::to_string(summary["fingerprinted_accuracy"]["mean"].get<double>()) +
             ", embedding/training time " +
             std::to_string(summary["embedding_to_training_ratio"].get<double>()));
    SM_RETURN_IF_ERROR(ctx.Set(kSummary, JsonDocument(summary.dump())));
    return ctx.Set(kTable, Blob(csv.str()));
  }

 private:
  static StatusOr<nlohmann::json> Parse(Context& ctx, const Input<JsonDocument>& port) {
    SM_ASSIGN_OR_RETURN(JsonDocument doc, ctx.Get(port));
    nlohmann::json j = nlohmann::json::parse(doc.text(), nullptr, false);
    if (!j.is_object())
      return InvalidArgumentError("input '" + std::string(port.name) + "' is not a JSON object");
    return j;
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::EmbeddingTable, report, embedding_table)
