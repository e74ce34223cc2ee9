// server_trainer.standalone: trains a model from the zoo on a Dataset, reporting accuracy
// per epoch; the result is a TorchScript file PyTorch can load.
#include <chrono>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/plugin_support.h"
#include "models/training.h"
#include "securemark/node.h"

namespace securemark {
namespace {

class StandaloneTrainer : public Node {
 public:
  static constexpr Input<Dataset> kTrain{"train", "Training examples."};
  static constexpr Input<Dataset> kTest{"test", "Held-out examples for accuracy per epoch.",
                                        kOptional};
  static constexpr Input<models::ModelFile> kInit{
      "init", "Start from this model (a checkpoint to resume, or a model to fine-tune).",
      kOptional};
  static constexpr Output<models::ModelFile> kModel{"model", "The trained model (TorchScript)."};
  static constexpr auto kCheckpoints = Output<models::ModelFile>::Many(
      "checkpoints", "The model after every checkpoint_every epochs, labelled with the epoch.");
  static constexpr Output<JsonDocument> kReport{"report", "Loss and accuracy per epoch."};
  static constexpr Param<std::string> kArchitecture{
      "model", "deepmarks_cnn", "Architecture.",
      Choices{"deepmarks_cnn|fc900|lfw_conv|vgg19_bn|wrn16_4"}};
  static constexpr Param<int64_t> kEpochs{
      "epochs", 1, "Passes over the data (0: the initialised, untrained model).", Range{0, 10000}};
  static constexpr Param<int64_t> kBatch{"batch_size", 64, "Examples per step.", Range{1, 65536}};
  static constexpr Param<double> kRate{"lr", 0.05, "Learning rate.", Range{1e-8, 10}};
  static constexpr Param<double> kMomentum{"momentum", 0.9, "SGD momentum.", Range{0, 0.999}};
  static constexpr Param<std::string> kOptimizer{"optimizer", "sgd", "sgd or adam.",
                                                 Choices{"sgd|adam"}};
  static constexpr Param<int64_t> kStep{"lr_step", 0, "Epochs between rate decays (0: none).",
                                        Range{0, 10000}};
  static constexpr Param<double> kGamma{"lr_gamma", 0.1, "Rate decay factor.", Range{1e-6, 1}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Seed of initialisation and shuffling.",
                                        Range{0, 9.2e18}};
  static constexpr Param<int64_t> kThreads{"threads", 0, "Intra-op threads (0: LibTorch default).",
                                           Range{0, 256}};

  static constexpr Param<std::vector<double>> kMean{
      "mean", "[]", "Per-channel input mean the model subtracts (empty: from the training data)."};
  static constexpr Param<std::vector<double>> kStd{
      "std", "[]", "Per-channel input std the model divides by (empty: from the training data)."};
  static constexpr Param<int64_t> kCheckpointEvery{
      "checkpoint_every", 0, "Epochs between checkpoints (0: none).", Range{0, 10000}};
  static constexpr Param<bool> kFlip{"flip", false, "Augment with random horizontal flips."};
  static constexpr Param<int64_t> kCrop{
      "crop_padding", 0, "Augment with random crops of the image padded by this.", Range{0, 64}};

  static Contract GetContract() {
    return Contract::Build(
        "1.0.0", "Trains a model on one machine's data (SGD/Adam, step schedule).", kTrain, kTest,
        kInit, kModel, kCheckpoints, kReport, kArchitecture, kEpochs, kBatch, kRate, kMomentum,
        kOptimizer, kStep, kGamma, kSeed, kThreads, kMean, kStd, kFlip, kCrop, kCheckpointEvery);
  }

  Status Process(Context& ctx) override {
    const auto started = std::chrono::steady_clock::now();
    SM_ASSIGN_OR_RETURN(Dataset train, ctx.Get(kTrain));
    std::optional<Dataset> test;
    if (ctx.Has(kTest)) {
      SM_ASSIGN_OR_RETURN(test, ctx.Get(kTest));
    }
    std::vector<int64_t> shape = train.images().shape();
    if (shape.size() == 3) shape.insert(shape.begin() + 1, 1);
    if (shape.size() != 4)
      return InvalidArgumentError("training images must be [N,H,W] or [N,C,H,W]");
    int64_t classes = 0;
    for (int64_t i = 0; i < train.size(); ++i)
      classes = std::max(classes, train.labels().data<int64_t>()[i] + 1);
    const uint64_t seed = static_cast<uint64_t>(ctx.Get(kSeed));
    torch::jit::Module model;
    auto [mean, std] = models::ChannelStatistics(train.images());
    if (!ctx.Get(kMean).empty()) mean = ctx.Get(kMean);
    if (!ctx.Get(kStd).empty()) std = ctx.Get(kStd);
    if (ctx.Has(kInit)) {
      // The starting model keeps its own normalisation.
      SM_ASSIGN_OR_RETURN(model, models::GetModel(ctx, kInit));
    } else {
      SM_ASSIGN_OR_RETURN(model, models::BuildModel(ctx.Get(kArchitecture), shape[1], shape[2],
                                                    shape[3], classes, seed));
      if (Status s = models::SetInputNormalization(model, mean, std); !s.ok()) {
        return s.WithContext("parameters mean/std");
      }
    }
    models::TrainOptions o;
    o.flip = ctx.Get(kFlip);
    o.crop_padding = ctx.Get(kCrop);
    o.epochs = ctx.Get(kEpochs);
    o.batch_size = ctx.Get(kBatch);
    o.learning_rate = ctx.Get(kRate);
    o.momentum = ctx.Get(kMomentum);
    o.optimizer = ctx.Get(kOptimizer);
    o.lr_step = ctx.Get(kStep);
    o.lr_gamma = ctx.Get(kGamma);
    o.seed = seed;
    o.threads = ctx.Get(kThreads);
    nlohmann::json epochs = nlohmann::json::array();
    Status checkpointed;
    auto reports =
        models::Train(model, train, test ? &*test : nullptr, o, [&](const models::EpochReport& r) {
          epochs.push_back({{"epoch", r.epoch},
                            {"loss", r.loss},
                            {"train_accuracy", r.train_accuracy},
                            {"test_accuracy", r.test_accuracy},
                            {"seconds", r.seconds}});
          ctx.Info("epoch " + std::to_string(r.epoch) + ": loss " + std::to_string(r.loss) +
                   ", test accuracy " + std::to_string(r.test_accuracy));
          ctx.Progress(static_cast<double>(r.epoch), static_cast<double>(o.epochs), "epoch");
          const int64_t every = ctx.Get(kCheckpointEvery);
          if (every > 0 && r.epoch % every == 0) {
            checkpointed = ctx.Add(kCheckpoints, models::ModelFile(models::SaveModel(model)),
                                   {{"epoch", std::to_string(r.epoch)}});
            if (!checkpointed.ok()) return false;
          }
          return !ctx.Cancelled();
        });
    SM_RETURN_IF_ERROR(checkpointed);
    if (ctx.Cancelled()) return CancelledError("training cancelled");
    double train_seconds = 0;
    for (const auto& r : reports) train_seconds += r.seconds;
    SM_RETURN_IF_ERROR(ctx.Set(kModel, models::ModelFile(models::SaveModel(model))));
    nlohmann::json report = {
        {"model", ctx.Get(kArchitecture)},
        {"classes", classes},
        {"examples", train.size()},
        {"mean", mean},
        {"std", std},
        {"epochs", epochs},
        {"test_accuracy", reports.empty() ? -1.0 : reports.back().test_accuracy},
        {"train_seconds", train_seconds},
        {"seconds",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
    return ctx.Set(kReport, JsonDocument(report.dump()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::StandaloneTrainer, server_trainer, standalone)
