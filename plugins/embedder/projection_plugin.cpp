// embedder.projection: gives one customer a copy of the model carrying their fingerprint
// F_j = U b_j, by fine-tuning with task loss + μ·MSE(F_j, X w) (DeepMarks).
//
// The key X is created on first use: without a `key` input the plugin derives it from the
// secret basis U (or an explicit key_seed) and emits it as a secret output. Every
// customer's execution draws the same bytes, so the store keeps one blob; later steps
// (extraction) take it from any of them.
#include <chrono>
#include <sstream>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "models/plugin_support.h"
#include "models/projection.h"
#include "models/training.h"
#include "split/split_model.h"
#include "split/tensor_frames.h"

namespace securemark {
namespace {

class ProjectionEmbedder : public Node {
 public:
  static constexpr Input<models::ModelFile> kBase{"model", "The vendor's trained model."};
  static constexpr Input<Dataset> kData{"data", "Examples to fine-tune on.", kOptional};
  static constexpr Input<domain::Activations> kActivations{
      "activations",
      "Instead of data: hidden states a split server cached (server_trainer.split's "
      "'activations'); only the layers after the cut fine-tune.",
      kOptional};
  static constexpr Input<Dataset> kTest{"test", "Held-out examples for accuracy.", kOptional};
  static constexpr Input<codes::Codebook> kCodebook{"codebook", "Code bits of every customer."};
  static constexpr Input<domain::Basis> kBasis{"basis", "Secret orthonormal basis U of the code."};
  static constexpr Input<domain::ProjectionKey> kKeyIn{
      "key", "Projection key X from an earlier embedding (default: a new one, see key_seed).",
      kOptional};
  static constexpr Output<models::ModelFile> kModel{
      "model", "The customer's fingerprinted model (TorchScript, labelled with the customer)."};
  static constexpr Output<domain::ProjectionKey> kKeyOut{
      "key", "The projection key X (when created here).", kSecret | kOptional};
  static constexpr Output<JsonDocument> kReport{
      "report", "Fingerprint MSE, task loss, test accuracy, seconds spent fine-tuning."};

  static constexpr Param<int64_t> kCustomer{"customer", 0, "Which customer's fingerprint.",
                                            Range{0, 1e12}};
  static constexpr Param<std::string> kLayer{"layer", "conv2", "The layer that carries it."};
  static constexpr Param<double> kMu{
      "mu", 100.0, "Weight of the fingerprint term (0: plain fine-tuning).", Range{0, 1e9}};
  static constexpr Param<int64_t> kEpochs{"epochs", 1, "Passes over the data.", Range{1, 1000}};
  static constexpr Param<int64_t> kMaxBatches{
      "max_batches", 0, "Batches per epoch (0: the whole data).", Range{0, 1e9}};
  static constexpr Param<int64_t> kBatch{"batch_size", 64, "Examples per step.", Range{1, 65536}};
  static constexpr Param<double> kRate{"lr", 0.01, "SGD learning rate.", Range{1e-8, 10}};
  static constexpr Param<std::vector<std::string>> kTrainLayers{
      "train_layers", "[]", "Layers that fine-tune (empty: all)."};
  static constexpr Param<bool> kExact{
      "exact", true,
      "After fine-tuning, correct w by the least-norm change that makes X w = F exactly."};
  static constexpr Param<std::string> kUnits{
      "units", "secret",
      "How a new key combines the layer's units: DeepMarks' mean, or secret zero-sum weights "
      "(which subtracting a common vector from every unit, the weight-shift attack, cannot "
      "touch).",
      Choices{"mean|secret"}};
  static constexpr Param<std::string> kKeyScale{
      "key_scale", "unit",
      "How large a new key's entries are: N(0, 1) as in DeepMarks ('unit'), or scaled so that "
      "the unmarked layer reads at the fingerprint's scale ('layer'), which changes a layer "
      "of small weights far less.",
      Choices{"unit|layer"}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Seed of shuffling.", Range{0, 9.2e18}};
  static constexpr auto kKeySeed = Param<int64_t>::Secret(
      "key_seed", 0,
      "Explicit seed of a key X made here, for reproducible experiments only; 0 derives X "
      "from the secret basis, so only its holder can redraw it. Kept secret.",
      Range{0, 9.2e18});
  static constexpr Param<int64_t> kThreads{"threads", 0, "Intra-op threads (0: default).",
                                           Range{0, 256}};

  static Contract GetContract() {
    return Contract::Build(
        "2.1.0", "Fine-tunes a customer's copy of a model to carry their fingerprint.", kBase,
        kData, kActivations, kTest, kCodebook, kBasis, kKeyIn, kModel, kKeyOut, kReport, kCustomer,
        kLayer, kMu, kEpochs, kMaxBatches, kBatch, kRate, kTrainLayers, kExact, kUnits, kKeyScale,
        kSeed, kKeySeed, kThreads);
  }

  Status Process(Context& ctx) override {
    models::UseThreads(ctx.Get(kThreads));
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kBase));
    if (ctx.Has(kData) == ctx.Has(kActivations))
      return InvalidArgumentError("give exactly one of the inputs 'data' and 'activations'");
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    SM_ASSIGN_OR_RETURN(domain::Basis basis_map, ctx.Get(kBasis));
    SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map.Get(domain::kBasisTensor));
    SM_ASSIGN_OR_RETURN(Eigen::MatrixXd basis, codes::MatrixFromTensor(*basis_tensor));
    const int64_t customer = ctx.Get(kCustomer);
    if (customer >= codebook.users()) {
      return InvalidArgumentError("customer " + std::to_string(customer) + " is not in " +
                                  codebook.name() + ", which has " +
                                  std::to_string(codebook.users()) + " customers");
    }
    if (basis.cols() != codebook.length()) {
      return InvalidArgumentError("the basis has " + std::to_string(basis.cols()) +
                                  " columns but the code has " + std::to_string(codebook.length()) +
                                  " bits");
    }
    const std::string layer = ctx.Get(kLayer);
    SM_ASSIGN_OR_RETURN(torch::Tensor signal, models::LayerSignal(model, layer));
    const torch::Tensor fingerprint =
        models::ToTorch(codes::FingerprintVector(codebook, basis, customer));

    SM_ASSIGN_OR_RETURN(torch::Tensor weight, models::LayerWeight(model, layer));
    SM_ASSIGN_OR_RETURN(
        models::ProjectionKey key,
        models::KeyFromInputOrNew(ctx, kKeyIn, kKeyOut, fingerprint.numel(), signal.numel(), layer,
                                  models::KeyRoot(ctx.Get(kKeySeed), basis),
                                  ctx.Get(kUnits) == "secret" ? weight.size(0) : 0,
                                  ctx.Get(kKeyScale) == "layer" ? weight : torch::Tensor()));

    models::EmbedOptions o;
    o.layer = layer;
    o.mu = ctx.Get(kMu);
    o.epochs = ctx.Get(kEpochs);
    o.max_batches = ctx.Get(kMaxBatches);
    o.batch_size = ctx.Get(kBatch);
    o.learning_rate = ctx.Get(kRate);
    o.train_layers = ctx.Get(kTrainLayers);
    o.seed = static_cast<uint64_t>(ctx.Get(kSeed));
    o.exact = ctx.Get(kExact) && o.mu > 0;
    o.on_step = [&ctx](int64_t done, int64_t planned) {
      if (done % 10 == 0 || done == planned)
        ctx.Progress(static_cast<double>(done), static_cast<double>(planned), "fine-tuning steps");
    };
    const auto started = std::chrono::steady_clock::now();
    models::EmbedReport r;
    if (ctx.Has(kData)) {
      SM_ASSIGN_OR_RETURN(Dataset data, ctx.Get(kData));
      SM_ASSIGN_OR_RETURN(r, models::EmbedFingerprint(model, fingerprint, key, data, o));
    } else {
      SM_ASSIGN_OR_RETURN(r, EmbedOnActivations(ctx, model, fingerprint, key, o));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double accuracy = -1;
    if (ctx.Has(kTest)) {
      SM_ASSIGN_OR_RETURN(Dataset test, ctx.Get(kTest));
      accuracy = TestAccuracy(model, test);
    }
    ctx.Info("customer " + std::to_string(customer) + ": fingerprint MSE " +
             std::to_string(r.fingerprint_mse) + " after " + std::to_string(r.steps) + " steps");
    // A copy fine-tuned with mu = 0 carries nobody's fingerprint; it is not labelled as theirs.
    Labels labels = {{"fingerprint", "none"}};
    if (o.mu > 0) {
      labels = {
          {"customer", std::to_string(customer)}, {"codebook", codebook.name()}, {"layer", layer}};
    }
    SM_RETURN_IF_ERROR(ctx.Set(kModel, models::ModelFile(models::SaveModel(model)), labels));
    nlohmann::json report = {{"customer", customer},
                             {"codebook", codebook.name()},
                             {"layer", layer},
                             {"mu", o.mu},
                             {"steps", r.steps},
                             {"task_loss", r.task_loss},
                             {"fingerprint_mse", r.fingerprint_mse},
                             {"fine_tuned_mse", r.fine_tuned_mse},
                             {"correction_norm", r.correction_norm},
                             {"test_accuracy", accuracy},
                             {"seconds", seconds}};
    return ctx.Set(kReport, JsonDocument(report.dump()));
  }

 private:
  // Fine-tunes the tail of a split model on the hidden states its server cached: no
  // images are needed, and the head the data owners run stays as it is.
  static StatusOr<models::EmbedReport> EmbedOnActivations(Context& ctx, torch::jit::Module& model,
                                                          const torch::Tensor& fingerprint,
                                                          const models::ProjectionKey& key,
                                                          models::EmbedOptions o) {
    SM_ASSIGN_OR_RETURN(domain::Activations cached, ctx.Get(kActivations));
    SM_ASSIGN_OR_RETURN(const Tensor* hidden_sdk, cached.Get(domain::kHiddenTensor));
    SM_ASSIGN_OR_RETURN(const Tensor* labels_sdk, cached.Get(domain::kLabelsTensor));
    SM_ASSIGN_OR_RETURN(torch::Tensor hidden, split::FromSdkTensor(*hidden_sdk));
    SM_ASSIGN_OR_RETURN(torch::Tensor labels, split::FromSdkTensor(*labels_sdk));
    if (hidden.dim() < 2 || labels.dim() != 1 || labels.size(0) != hidden.size(0))
      return InvalidArgumentError(
          "input 'activations': expected hidden [N, ...] and "
          "labels [N], got " +
          hidden_sdk->ShapeString() + " and " + labels_sdk->ShapeString());
    SM_ASSIGN_OR_RETURN(std::vector<int64_t> input_shape, domain::InputShapeOf(cached));
    SM_ASSIGN_OR_RETURN(split::SplitModel split,
                        split::SplitModel::Make(model, cached.Attr("architecture"),
                                                cached.Attr("split_after"), input_shape));
    if (hidden.sizes().slice(1).vec() != split.hidden_shape())
      return InvalidArgumentError("input 'activations' holds hidden states " +
                                  hidden_sdk->ShapeString() + "; the model's cut gives " +
                                  c10::str(split.hidden_shape()) + " per example");
    if (o.train_layers.empty()) {
      for (const std::string& p : split.tail_names())
        if (p.size() > 7 && p.compare(p.size() - 7, 7, "_weight") == 0)
          o.train_layers.push_back(p.substr(0, p.size() - 7));
    }
    return models::EmbedFingerprint(
        model, fingerprint, key, hidden, labels,
        [&](const torch::Tensor& idx) { return split.Tail(hidden.index_select(0, idx)); }, o);
  }

  static double TestAccuracy(torch::jit::Module& model, const Dataset& test) {
    return models::Accuracy(model, models::ImagesToTensor(test.images()),
                            models::LabelsToTensor(test.labels()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::ProjectionEmbedder, embedder, projection)
