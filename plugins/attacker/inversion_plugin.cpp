// attacker.inversion: the privacy adversary of split learning. It holds the trained
// model, some images of its own (the `data` input) and query access to an owner's head
// and defender; it trains an inverter (Attack1-8: MLPs for flat hidden states, transposed
// convolutions for [C, H, W] ones) on pairs (hidden state, image) and is scored on images
// it never trained on:
//   mse               mean squared pixel error (pixels in [0, 1]);
//   ssim              structural similarity (Gaussian 11x11, sigma 1.5) — higher leaks more;
//   perceptual        ||phi(x) - phi(x')||^2 / ||phi(x)||^2 with phi the model's last hidden
//                     layer: how different the reconstruction looks to the classifier;
//   reprint_accuracy  the model's accuracy on the reconstructions (clean_accuracy on x).
// With several defenders (owners with different defences) each is attacked on its own
// and the report gives each and their mean.
//
// Two ways to be stronger than a decoder trained once:
//   observations  the server sees each image once per epoch; linking those copies and
//                 averaging them undoes part of a defender's noise, so the attacker may
//                 average this many calls of the defender per image;
//   refine_steps  white-box refinement (He et al.'s rMLE, split/white_box.h) of each
//                 reconstruction through the owner's head and defender.
// Accuracy beside every score: `defended_accuracy` is the model's accuracy on the scored
// images with the defender in its path (head, defender, tail) — how the owners' model
// performs; `clean_accuracy` is the model alone, as it would be sold.
#include <algorithm>
#include <chrono>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "data/image_folder.h"
#include "models/early_stopping.h"
#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/training.h"
#include "securemark/node.h"
#include "split/privacy_nets.h"
#include "split/split_model.h"
#include "split/white_box.h"

namespace securemark {
namespace {

using nlohmann::json;

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

struct Scores {
  double mse = 0, ssim = 0, perceptual = 0, reprint_accuracy = 0, defended_accuracy = 0;
};

// What every attack on one defender shares: the model, its cut, the attacker's images
// (the first n_train train the inverter, the rest are scored).
struct Setting {
  torch::jit::Module& model;
  const split::SplitModel& head;
  const split::SplitModel& features;
  const torch::Tensor& x;
  const torch::Tensor& y;
  int64_t n_train;
};

// One defender attacked: its scores, its report entry and the scored reconstructions.
struct Attempt {
  Scores scores;
  nlohmann::json entry;
  torch::Tensor reconstruction;
};

class Inversion : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{"model", "The trained (split) model."};
  static constexpr Input<models::ModelFile> kDefenders{
      "defenders",
      "Owners' trained defenders (data_owner.node release_defender); none: no defence.",
      kMany | kOptional};
  static constexpr Input<Dataset> kData{"data", "The attacker's images (trains and scores)."};
  static constexpr Output<JsonDocument> kReport{
      "report", "{attack, mse, ssim, perceptual, reprint_accuracy, clean_accuracy, defenders}."};
  static constexpr Output<Blob> kGrid{"grid",
                                      "PNG: originals (top row) over reconstructions (bottom)."};
  static constexpr Param<int64_t> kAttack{"attack", 1, "Attack1-8.", Range{1, 8}};
  static constexpr Param<std::string> kArchitecture{"architecture", "fc900",
                                                    "The model's zoo name."};
  static constexpr Param<std::string> kSplitAfter{"split_after", "fc2", "Where the model is cut."};
  static constexpr Param<double> kTrainFraction{
      "train_fraction", 0.8, "Share of `data` the inverter trains on.", Range{0.05, 0.95}};
  static constexpr Param<int64_t> kEpochs{"epochs", 5, "Most inverter epochs.", Range{1, 1000}};
  static constexpr Param<int64_t> kPatience{
      "patience", 0,
      "Stop after this many epochs without a better validation SSIM and keep the best "
      "inverter (0: train every epoch and keep the last).",
      Range{0, 1000}};
  static constexpr Param<double> kValidationFraction{
      "validation_fraction", 0.1,
      "Share of the inverter's training images held out to draw the validation curve.",
      Range{0.01, 0.5}};
  static constexpr Param<int64_t> kBatch{"batch", 64, "Inverter batch.", Range{1, 65536}};
  static constexpr Param<double> kLr{"lr", 1e-3, "Adam rate of the inverter.", Range{1e-7, 1}};
  static constexpr Param<int64_t> kMaxDefenders{
      "max_defenders", 5, "Attack at most this many of the given defenders.", Range{1, 4096}};
  static constexpr Param<int64_t> kGridImages{"grid_images", 10, "Images in the grid.",
                                              Range{1, 64}};
  static constexpr Param<int64_t> kObservations{
      "observations", 1,
      "Hidden states per image the attacker averages (one per epoch the server saw it).",
      Range{1, 1000}};
  static constexpr Param<int64_t> kRefineSteps{
      "refine_steps", 0, "White-box refinement steps per reconstruction (0: none).",
      Range{0, 100000}};
  static constexpr Param<double> kRefineTv{
      "refine_tv", 0.01, "Total-variation weight of the refinement.", Range{0, 100}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation and shuffling.",
                                        Range{0, 9.2e18}};
  static constexpr Param<int64_t> kThreads{"threads", 0, "LibTorch threads (0: automatic).",
                                           Range{0, 1024}};

  static Contract GetContract() {
    return Contract::Build("1.2.0",
                           "Model inversion against split learning: reconstructs owners' images "
                           "from their hidden states; MSE, SSIM, perceptual, reprint accuracy.",
                           kModel, kDefenders, kData, kReport, kGrid, kAttack, kArchitecture,
                           kSplitAfter, kTrainFraction, kEpochs, kPatience, kValidationFraction,
                           kBatch, kLr, kMaxDefenders, kObservations, kRefineSteps, kRefineTv,
                           kGridImages, kSeed, kThreads);
  }

  Status Process(Context& ctx) override {
    models::UseThreads(ctx.Get(kThreads));
    torch::manual_seed(static_cast<uint64_t>(ctx.Get(kSeed)));
    SM_ASSIGN_OR_RETURN(models::ModelFile model_file, ctx.Get(kModel));
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::LoadModel(model_file.bytes()));
    model.eval();
    SM_ASSIGN_OR_RETURN(Dataset data, ctx.Get(kData));
    const torch::Tensor x = models::ImagesToTensor(data.images());
    const torch::Tensor y = models::LabelsToTensor(data.labels());
    const std::vector<int64_t> image_shape = x.sizes().slice(1).vec();
    if (image_shape.size() != 3)
      return InvalidArgumentError("input 'data': images must be [N, C, H, W]");
    const int64_t n = x.size(0);
    const int64_t n_train = static_cast<int64_t>(n * ctx.Get(kTrainFraction));
    if (n_train < 1 || n - n_train < 1)
      return InvalidArgumentError("input 'data' has " + std::to_string(n) +
                                  " images: too few to train and to score an inverter");
    SM_ASSIGN_OR_RETURN(
        split::SplitModel head,
        split::SplitModel::Make(model, ctx.Get(kArchitecture), ctx.Get(kSplitAfter), image_shape));
    SM_ASSIGN_OR_RETURN(split::SplitModel features, LastHiddenLayer(model, ctx, image_shape));

    std::vector<std::pair<std::string, torch::jit::Module>> defenders;
    if (ctx.Has(kDefenders)) {
      SM_ASSIGN_OR_RETURN(std::vector<models::ModelFile> files, ctx.GetAll(kDefenders));
      for (size_t i = 0; i < files.size() && i < static_cast<size_t>(ctx.Get(kMaxDefenders)); ++i) {
        SM_ASSIGN_OR_RETURN(torch::jit::Module d, models::LoadModel(files[i].bytes()));
        const std::string name = d.hasattr("securemark_defender")
                                     ? d.attr("securemark_defender").toStringRef()
                                     : "defender " + std::to_string(i);
        defenders.emplace_back(name, std::move(d));
      }
    }
    const bool undefended = defenders.empty();  // the hidden states leave as they are
    if (undefended) defenders.emplace_back("none", torch::jit::Module("none"));

    const Setting setting{model, head, features, x, y, n_train};
    const torch::Tensor x_test = x.slice(0, n_train), y_test = y.slice(0, n_train);
    const double clean_accuracy = Accuracy(
        [&](const torch::Tensor& b) { return model.forward({b}).toTensor(); }, x_test, y_test);

    json per_defender = json::array();
    Scores mean;
    double best_ssim = -1;
    torch::Tensor grid_reconstruction;
    const int64_t attack = ctx.Get(kAttack);
    for (size_t d = 0; d < defenders.size(); ++d) {
      auto& [name, defender] = defenders[d];
      SM_ASSIGN_OR_RETURN(Attempt a,
                          AttackDefender(ctx, setting, d, name, undefended ? nullptr : &defender));
      const Scores& s = a.scores;
      const double k = static_cast<double>(defenders.size());
      mean.mse += s.mse / k;
      mean.ssim += s.ssim / k;
      mean.perceptual += s.perceptual / k;
      mean.reprint_accuracy += s.reprint_accuracy / k;
      mean.defended_accuracy += s.defended_accuracy / k;
      if (s.ssim > best_ssim) {  // the grid shows the defender that leaked most
        best_ssim = s.ssim;
        grid_reconstruction = a.reconstruction.slice(0, 0, ctx.Get(kGridImages));
      }
      per_defender.push_back(std::move(a.entry));
    }
    // What guessing the average training image would score: an inverter must beat it to
    // have learnt anything from the hidden states.
    const torch::Tensor average = x.slice(0, 0, n_train).mean(0, true).expand_as(x_test);
    json report = {{"attack", attack},
                   {"hidden_shape", head.hidden_shape()},
                   {"mse", mean.mse},
                   {"ssim", mean.ssim},
                   {"perceptual", mean.perceptual},
                   {"reprint_accuracy", mean.reprint_accuracy},
                   {"best_ssim", best_ssim},
                   {"defended_accuracy", mean.defended_accuracy},
                   {"clean_accuracy", clean_accuracy},
                   {"observations", ctx.Get(kObservations)},
                   {"refine_steps", ctx.Get(kRefineSteps)},
                   {"mean_image_mse", (average - x_test).pow(2).mean().item<double>()},
                   {"train_images", n_train},
                   {"test_images", n - n_train},
                   {"defenders", per_defender}};
    SM_RETURN_IF_ERROR(ctx.Set(kReport, JsonDocument(report.dump(2))));
    SM_ASSIGN_OR_RETURN(std::string png, GridPng(x_test.slice(0, 0, grid_reconstruction.size(0)),
                                                 grid_reconstruction));
    return ctx.Set(kGrid, Blob(std::move(png)));
  }

 private:
  // Trains the inverter on what leaves through `defender` (nullptr: no defender), refines
  // its reconstructions white-box if asked, and scores them on the held-out images.
  static StatusOr<Attempt> AttackDefender(Context& ctx, const Setting& s, size_t index,
                                          const std::string& name, torch::jit::Module* defender) {
    const split::SplitModel& head = s.head;
    auto sent = [&](const torch::Tensor& images) {
      torch::Tensor h = head.Head(images);
      return defender == nullptr ? h : defender->forward({h}).toTensor();
    };
    const std::string input = "input 'defenders[" + std::to_string(index) + "]' (" + name + ")";
    torch::Tensor hidden;
    try {
      hidden = Chunked(s.x, sent);
      for (int64_t k = 1; k < ctx.Get(kObservations); ++k) hidden += Chunked(s.x, sent);
      hidden /= static_cast<double>(ctx.Get(kObservations));
    } catch (const std::exception& e) {
      // TorchScript errors carry a traceback; its last line says what went wrong.
      std::string why = e.what();
      while (!why.empty() && why.back() == '\n') why.pop_back();
      why = why.substr(why.find_last_of('\n') + 1);
      return InvalidArgumentError(
          input + " does not fit the hidden states " + ShapeText(head.hidden_shape()) + " of a " +
          ctx.Get(kArchitecture) + " cut after " + ctx.Get(kSplitAfter) + ": " + why);
    }
    if (hidden.sizes().slice(1).vec() != head.hidden_shape())
      return InvalidArgumentError(input + " changes the hidden state's shape to " +
                                  ShapeText(hidden.sizes().slice(1).vec()));
    const int64_t attack = ctx.Get(kAttack), n_train = s.n_train;
    const torch::Tensor x_test = s.x.slice(0, n_train), y_test = s.y.slice(0, n_train);
    SM_ASSIGN_OR_RETURN(torch::nn::Sequential inverter,
                        split::MakeInverter(static_cast<int>(attack), head.hidden_shape(),
                                            s.x.size(1), s.x.size(2), s.x.size(3)));
    const std::string what = "attack " + std::to_string(attack) + " on " + name;
    SM_ASSIGN_OR_RETURN(json curve, TrainInverter(ctx, inverter, hidden.slice(0, 0, n_train),
                                                  s.x.slice(0, 0, n_train), what));
    inverter->eval();
    torch::Tensor rec = Chunked(hidden.slice(0, n_train),
                                [&](const torch::Tensor& h) { return inverter->forward(h); });
    json learned = nullptr;
    if (ctx.Get(kRefineSteps) > 0) {
      SM_ASSIGN_OR_RETURN(Scores l, Score(s, x_test, y_test, rec));
      learned = {{"mse", l.mse}, {"ssim", l.ssim}, {"reprint_accuracy", l.reprint_accuracy}};
      split::WhiteBoxOptions options;
      options.steps = ctx.Get(kRefineSteps);
      options.tv = ctx.Get(kRefineTv);
      rec = split::WhiteBoxRefine(sent, hidden.slice(0, n_train), rec, options,
                                  [&] { return ctx.Cancelled(); });
      if (ctx.Cancelled()) return CancelledError("cancelled while refining " + what);
    }
    SM_ASSIGN_OR_RETURN(Scores scores, Score(s, x_test, y_test, rec));
    scores.defended_accuracy =
        Accuracy([&](const torch::Tensor& b) { return head.Tail(sent(b)); }, x_test, y_test);
    ctx.Info(name + ": mse " + std::to_string(scores.mse) + ", ssim " +
             std::to_string(scores.ssim) + ", reprint accuracy " +
             std::to_string(scores.reprint_accuracy) + ", accuracy through it " +
             std::to_string(scores.defended_accuracy));
    json entry = {{"defender", name},
                  {"defended_accuracy", scores.defended_accuracy},
                  {"learned_only", std::move(learned)},
                  {"mse", scores.mse},
                  {"ssim", scores.ssim},
                  {"perceptual", scores.perceptual},
                  {"reprint_accuracy", scores.reprint_accuracy},
                  {"training", std::move(curve)}};
    return Attempt{scores, std::move(entry), rec};
  }

  template <typename F>
  static double Accuracy(F&& logits_of, const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor logits = Chunked(x, std::forward<F>(logits_of));
    return logits.argmax(1).eq(y).to(torch::kFloat).mean().item<double>();
  }

  // The model cut before its output layer: its head gives the features phi.
  static StatusOr<split::SplitModel> LastHiddenLayer(const torch::jit::Module& model, Context& ctx,
                                                     const std::vector<int64_t>& image_shape) {
    const std::string arch = ctx.Get(kArchitecture);
    return split::SplitModel::Make(model, arch, arch == "fc900" ? "fc4" : "fc1", image_shape);
  }

  template <typename F>
  static torch::Tensor Chunked(const torch::Tensor& in, F&& f) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < in.size(0); i += 512) out.push_back(f(in.slice(0, i, i + 512)));
    return torch::cat(out);
  }

  // Trains on all but a held-out share of the images and scores that share after every
  // epoch: the validation curve {epoch, train_mse, validation_ssim}. With a patience, it
  // stops once the validation SSIM has not improved for that many epochs and keeps the
  // best inverter, so an attack is as strong as its architecture and data allow rather
  // than as a fixed epoch count left it.
  static StatusOr<json> TrainInverter(Context& ctx, torch::nn::Sequential& inverter,
                                      const torch::Tensor& hidden, const torch::Tensor& images,
                                      const std::string& what) {
    const int64_t total = hidden.size(0);
    const int64_t n_val = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(total) * ctx.Get(kValidationFraction)));
    const int64_t n = total - n_val;
    if (n < 1) return InvalidArgumentError("too few images to train and validate an inverter");
    const torch::Tensor h_val = hidden.slice(0, n), x_val = images.slice(0, n);
    torch::optim::Adam optimizer(inverter->parameters(), torch::optim::AdamOptions(ctx.Get(kLr)));
    const int64_t batch = ctx.Get(kBatch), epochs = ctx.Get(kEpochs), patience = ctx.Get(kPatience);
    json points = json::array();
    models::EarlyStopping stopping(patience);
    std::shared_ptr<torch::nn::Module> best;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      if (ctx.Cancelled()) return CancelledError("cancelled while training " + what);
      inverter->train();
      const torch::Tensor order = torch::randperm(n, torch::kLong);
      double loss_sum = 0;
      for (int64_t i = 0; i < n; i += batch) {
        const torch::Tensor idx = order.slice(0, i, i + batch);
        optimizer.zero_grad();
        torch::Tensor loss = torch::mse_loss(inverter->forward(hidden.index_select(0, idx)),
                                             images.index_select(0, idx));
        loss.backward();
        optimizer.step();
        loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
      }
      inverter->eval();
      const torch::Tensor rec =
          Chunked(h_val, [&](const torch::Tensor& h) { return inverter->forward(h); });
      SM_ASSIGN_OR_RETURN(torch::Tensor distance,
                          split::ReconstructionDistance(x_val, rec, "ssim"));
      const double ssim = 1.0 - distance.item<double>();
      points.push_back({{"epoch", epoch},
                        {"train_mse", loss_sum / static_cast<double>(n)},
                        {"validation_ssim", ssim}});
      ctx.Progress(static_cast<double>(epoch), static_cast<double>(epochs), what);
      if (stopping.Record(epoch, ssim) && patience > 0) best = inverter->clone();
      if (stopping.ShouldStop()) break;
    }
    if (best) {  // the best epoch's weights back into the inverter
      torch::NoGradGuard no_grad;
      auto from = best->named_parameters(), to = inverter->named_parameters();
      for (auto& p : to) p.value().copy_(from[p.key()]);
      auto from_buffers = best->named_buffers(), to_buffers = inverter->named_buffers();
      for (auto& b : to_buffers) b.value().copy_(from_buffers[b.key()]);
    }
    inverter->eval();
    // Without a patience the last epoch's inverter is the one scored.
    const bool kept_best = patience > 0;
    const json& last = points.back();
    return json{{"epochs", points.size()},
                {"kept_epoch", kept_best ? stopping.best_epoch() : last["epoch"].get<int64_t>()},
                {"kept_validation_ssim",
                 kept_best ? stopping.best() : last["validation_ssim"].get<double>()},
                {"validation_images", n_val},
                {"curve", std::move(points)}};
  }

  static StatusOr<Scores> Score(const Setting& setting, const torch::Tensor& x,
                                const torch::Tensor& y, const torch::Tensor& rec) {
    torch::jit::Module& model = setting.model;
    const split::SplitModel& features = setting.features;
    torch::NoGradGuard no_grad;
    Scores s;
    s.mse = (rec - x).pow(2).mean().item<double>();
    SM_ASSIGN_OR_RETURN(torch::Tensor d, split::ReconstructionDistance(x, rec, "ssim"));
    s.ssim = 1.0 - d.item<double>();
    const torch::Tensor fx = features.Head(x), fr = features.Head(rec);
    s.perceptual =
        ((fx - fr).pow(2).sum(1) / fx.pow(2).sum(1).clamp_min(1e-12)).mean().item<double>();
    s.reprint_accuracy =
        Accuracy([&](const torch::Tensor& b) { return model.forward({b}).toTensor(); }, rec, y);
    return s;
  }

  // Two rows of images side by side, 2-pixel gaps; grey or RGB as the images are.
  static StatusOr<std::string> GridPng(const torch::Tensor& top, const torch::Tensor& bottom) {
    const int64_t k = top.size(0), c = top.size(1), h = top.size(2), w = top.size(3), gap = 2;
    data::Image image;
    image.channels = c == 1 ? 1 : 3;
    image.height = 2 * h + 3 * gap;
    image.width = k * (w + gap) + gap;
    image.pixels.assign(image.height * image.width * image.channels, static_cast<char>(255));
    const torch::Tensor rows[2] = {
        (top.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous(),
        (bottom.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous()};
    for (int r = 0; r < 2; ++r) {
      const uint8_t* p = rows[r].data_ptr<uint8_t>();
      for (int64_t i = 0; i < k; ++i)
        for (int64_t ch = 0; ch < image.channels; ++ch)
          for (int64_t yy = 0; yy < h; ++yy)
            for (int64_t xx = 0; xx < w; ++xx) {
              const int64_t row = gap + r * (h + gap) + yy, col = gap + i * (w + gap) + xx;
              image.pixels[(row * image.width + col) * image.channels + ch] =
                  static_cast<char>(p[((i * c + std::min(ch, c - 1)) * h + yy) * w + xx]);
            }
    }
    return data::EncodePng(image);
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::Inversion, attacker, inversion)
