// data_owner.node: a data owner of split learning. It reads its own shard from its own
// disk, runs the head Θ_l and its defender on it, and sends the server only the
// defender's output (hidden states), labels and, at synchronisations, its copy of Θ_l.
// The defender is trained adversarially (SecureMark-DL Algorithm 1): a simulated inverter
// learns to reconstruct the images from what is sent, and the defender learns to keep
// the task's gradient while pushing the inverter's reconstruction away.
#include <algorithm>
#include <ctime>
#include <deque>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "data/dataset_source.h"
#include "data/idx_reader.h"
#include "data/partition.h"
#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/training.h"
#include "securemark/digest.h"
#include "securemark/node.h"
#include "split/privacy_nets.h"
#include "split/protocol.h"
#include "split/split_model.h"
#include "split/stopwatch.h"
#include "split/tensor_frames.h"

namespace securemark {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class DataOwner : public Node {
 public:
  static constexpr Output<JsonDocument> kSummary{
      "summary", "What the store may know of this owner: counts, a digest, the defender."};
  static constexpr Param<std::string> kDataDir{
      "data_dir", "", "This owner's data set directory (read as `format`; see dataset.load)."};
  static constexpr Param<std::string> kFormat{"format", "idx", "Format of data_dir.",
                                              Choices{data::kDatasetFormats}};
  static constexpr Param<std::string> kImages{"images", "",
                                              "IDX images file (instead of data_dir)."};
  static constexpr Param<std::string> kLabels{"labels", "",
                                              "IDX labels file (instead of data_dir)."};
  static constexpr Param<int64_t> kChannels{"channels", 0, "Convert to 1 or 3 channels (0: keep).",
                                            Range{0, 3}};
  static constexpr Param<int64_t> kHeight{"height", 0, "Resize to this height (0: keep).",
                                          Range{0, 4096}};
  static constexpr Param<int64_t> kWidth{"width", 0, "Resize to this width (0: keep).",
                                         Range{0, 4096}};
  static constexpr Param<int64_t> kLimit{"limit", 0, "Read at most this many examples (0: all).",
                                         Range{0, 1e9}};
  static constexpr Param<int64_t> kShard{"shard", -1,
                                         "Which shard is this owner's (-1: its party index)."};
  static constexpr Param<int64_t> kShards{"shards", 0, "Shards in all (0: the number of owners)."};
  static constexpr Param<std::string> kPartition{"partition", "iid", "iid or dirichlet.",
                                                 Choices{"iid|dirichlet"}};
  static constexpr Param<double> kAlpha{"alpha", 0.5, "Dirichlet concentration.", Range{1e-3, 1e3}};
  static constexpr Param<int64_t> kPartitionSeed{"partition_seed", 0, "Seed of the partition."};
  static constexpr Input<models::ModelFile> kDefenders{
      "defenders",
      "Untrained defenders (outputs of defender.* steps); with several, owners are dealt them at "
      "random from defender_seed. None: hidden states leave as the head computes them.",
      kMany | kOptional};
  static constexpr Param<int64_t> kDefenderSeed{"defender_seed", 0, "Seed of the assignment."};
  static constexpr Param<double> kDefenderLr{"defender_lr", 1e-3, "Adam rate of the defender.",
                                             Range{0, 10}};
  static constexpr Param<double> kPrivacyWeight{
      "privacy_weight", 1.0, "Weight of the reconstruction distance.", Range{0, 1e6}};
  static constexpr Param<std::string> kMetric{"privacy_metric", "mse", "mse or ssim.",
                                              Choices{"mse|ssim"}};
  static constexpr Param<int64_t> kInverter{"inverter", 2, "Simulated attacker (Attack1-8).",
                                            Range{1, 8}};
  static constexpr Param<double> kInverterLr{"inverter_lr", 1e-3, "Adam rate of the inverter.",
                                             Range{1e-9, 10}};
  static constexpr Param<double> kServerTimeout{
      "server_timeout", 600, "Give up after this long without a word.", Range{1, 86400}};
  static constexpr Param<double> kRejoinAfter{
      "rejoin_after", 10, "Ask to join again after this long unasked.", Range{0.1, 86400}};
  static constexpr Param<int64_t> kMaxMessageMb{"max_message_mb", 256, "Largest message, MiB.",
                                                Range{1, 2047}};
  static constexpr Param<int64_t> kThreads{"threads", 1, "LibTorch threads.", Range{0, 1024}};
  // Privacy evaluation needs the trained defender; in production it never leaves the owner.
  static constexpr Output<models::ModelFile> kDefenderOut{
      "defender", "The trained defender (only with release_defender; for privacy evaluation).",
      kOptional};
  static constexpr Param<bool> kReleaseDefender{
      "release_defender", false, "Emit the trained defender (privacy evaluation only)."};

  static Contract GetContract() {
    return Contract::Build(
        "2.0.0", "A data owner of split learning: trains the head and its defender locally.",
        kSummary, kDataDir, kFormat, kImages, kLabels, kChannels, kHeight, kWidth, kLimit, kShard,
        kShards, kPartition, kAlpha, kPartitionSeed, kDefenders, kDefenderSeed, kDefenderLr,
        kPrivacyWeight, kMetric, kInverter, kInverterLr, kServerTimeout, kRejoinAfter,
        kMaxMessageMb, kThreads, kDefenderOut, kReleaseDefender);
  }

  Status Process(Context& ctx) override;

 private:
  Status LoadShard(Context& ctx, const PartyInfo& me);
  // Which of the connected defenders is this owner's (-1: none connected).
  StatusOr<int64_t> PickDefender(Context& ctx, const PartyInfo& me) const;
  Status LoadDefender(Context& ctx, int64_t which);
  Status Start(Context& ctx, const split::SplitConfig& config);
  Status SendActivations(int64_t round);
  // Keeps up to `depth_` batches in flight within the current synchronisation window.
  Status RunAhead(int64_t after_round);
  Status ApplyGradient(Context& ctx, const split::Grad& grad);
  split::HeadState Head();
  split::Join JoinMessage() const;
  // The owner is a state machine driven by the server's messages: it joins, (re)starts on
  // every Step (building the model on the first), trains on every Grad and answers a
  // synchronising Grad with its head, and ends on Stop.
  enum class State { kJoining, kTraining, kStopped };
  Status OnStep(Context& ctx, const split::Step& step);
  Status OnGrad(Context& ctx, const split::Grad& grad);

  Dataset shard_;
  torch::Tensor bytes_;   // uint8 [N, C, H, W]
  torch::Tensor labels_;  // int64 [N]
  std::vector<int64_t> order_;
  size_t cursor_ = 0;
  int64_t passes_ = 0;
  std::mt19937_64 rng_;
  State state_ = State::kJoining;
  std::unique_ptr<party::Connection> connection_;
  std::optional<split::SplitModel> model_;
  std::unique_ptr<torch::optim::SGD> head_optimizer_;
  int64_t defender_index_ = -1;
  std::string defender_name_;
  torch::jit::Module defender_;
  bool defended_ = false;
  std::unique_ptr<torch::optim::Adam> defender_optimizer_;
  torch::nn::Sequential inverter_{nullptr};
  std::unique_ptr<torch::optim::Adam> inverter_optimizer_;
  struct InFlight {
    int64_t round;
    torch::Tensor x, z;  // the batch and what was sent for it
  };
  std::deque<InFlight> in_flight_;
  size_t depth_ = 1;
  int64_t sync_every_ = 1, total_rounds_ = 0;
  int64_t config_batch_ = 32;
  int64_t rounds_ = 0, syncs_ = 0;
  double last_inversion_ = -1;
  // Where this owner's time goes (reported in its summary): the head's forward pass and
  // defender, the backward pass with the optimiser steps, and waiting for the server.
  double forward_seconds_ = 0, update_seconds_ = 0, waiting_seconds_ = 0;
};

Status DataOwner::LoadShard(Context& ctx, const PartyInfo& me) {
  const bool files = !ctx.Get(kImages).empty() || !ctx.Get(kLabels).empty();
  if (files == !ctx.Get(kDataDir).empty() || ctx.Get(kImages).empty() != ctx.Get(kLabels).empty())
    return InvalidArgumentError(
        "data_owner.node needs either 'data_dir' (with 'format') or both 'images' and 'labels' "
        "(IDX files)");
  Dataset all;
  if (files) {
    SM_ASSIGN_OR_RETURN(all,
                        data::ReadIdxDataset(ctx.Get(kImages), ctx.Get(kLabels), ctx.Get(kLimit)));
    SM_ASSIGN_OR_RETURN(Tensor conformed, data::ConformImages(all.images(), ctx.Get(kChannels),
                                                              ctx.Get(kHeight), ctx.Get(kWidth)));
    all.Put("images", std::move(conformed));
  } else {
    SM_ASSIGN_OR_RETURN(
        all, data::LoadDataset({ctx.Get(kFormat), ctx.Get(kDataDir), "train", ctx.Get(kLimit),
                                ctx.Get(kChannels), ctx.Get(kHeight), ctx.Get(kWidth)}));
  }
  data::PartitionOptions p;
  p.shards = ctx.Get(kShards) > 0 ? ctx.Get(kShards) : me.count;
  p.scheme = ctx.Get(kPartition);
  p.alpha = ctx.Get(kAlpha);
  p.seed = static_cast<uint64_t>(ctx.Get(kPartitionSeed));
  const int64_t shard = ctx.Get(kShard) >= 0 ? ctx.Get(kShard) : me.index;
  if (shard >= p.shards)
    return InvalidArgumentError("shard " + std::to_string(shard) + " does not exist; there are " +
                                std::to_string(p.shards));
  SM_ASSIGN_OR_RETURN(auto shards, data::PartitionIndices(data::LabelsOf(all), p));
  shard_ = data::Subset(all, shards[static_cast<size_t>(shard)]);
  SM_ASSIGN_OR_RETURN(const Tensor* images, shard_.Get("images"));
  SM_ASSIGN_OR_RETURN(const Tensor* labels, shard_.Get("labels"));
  bytes_ = models::ImageBytes(*images);
  labels_ = models::LabelsToTensor(*labels);
  order_.resize(static_cast<size_t>(bytes_.size(0)));
  std::iota(order_.begin(), order_.end(), 0);
  rng_.seed(p.seed * 7919 + static_cast<uint64_t>(shard));
  std::shuffle(order_.begin(), order_.end(), rng_);
  return OkStatus();
}

StatusOr<int64_t> DataOwner::PickDefender(Context& ctx, const PartyInfo& me) const {
  const auto kinds = static_cast<int64_t>(ctx.Count(kDefenders));
  if (kinds <= 1) return kinds - 1;
  // A seeded permutation of the owners, dealt the defenders in turn: every kind is used
  // about equally, and which owner gets which is random.
  std::vector<int> owners(static_cast<size_t>(me.count));
  std::iota(owners.begin(), owners.end(), 0);
  std::mt19937_64 rng(static_cast<uint64_t>(ctx.Get(kDefenderSeed)));
  std::shuffle(owners.begin(), owners.end(), rng);
  const size_t position =
      static_cast<size_t>(std::find(owners.begin(), owners.end(), me.index) - owners.begin());
  return static_cast<int64_t>(position) % kinds;
}

Status DataOwner::LoadDefender(Context& ctx, int64_t which) {
  const std::vector<int64_t> hidden = model_->hidden_shape();
  if (which < 0) {
    defender_name_ = "none";
    int64_t features = 1;
    for (int64_t d : hidden) features *= d;
    SM_ASSIGN_OR_RETURN(defender_, split::MakeMlpDefender(std::max<int64_t>(features, 2), 0, 0));
  } else {
    const std::string input = "input 'defenders[" + std::to_string(which) + "]'";
    SM_ASSIGN_OR_RETURN(std::vector<models::ModelFile> all, ctx.GetAll(kDefenders));
    StatusOr<torch::jit::Module> loaded =
        models::LoadModel(all[static_cast<size_t>(which)].bytes());
    if (!loaded.ok()) return loaded.status().WithContext(input);
    defender_ = std::move(loaded).value();
    defender_name_ = defender_.hasattr("securemark_defender")
                         ? defender_.attr("securemark_defender").toStringRef()
                         : "defenders[" + std::to_string(which) + "]";
    // A defender made for another cut fails here, not in the first round.
    std::vector<int64_t> probe_shape = {2};
    probe_shape.insert(probe_shape.end(), hidden.begin(), hidden.end());
    std::vector<int64_t> out_shape;
    try {
      torch::NoGradGuard no_grad;
      out_shape = defender_.forward({torch::zeros(probe_shape)}).toTensor().sizes().vec();
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      return InvalidArgumentError(input + " (" + defender_name_ +
                                  ") does not take this cut's hidden states " +
                                  c10::str(c10::IntArrayRef(hidden)) + ": " + why);
    }
    if (out_shape != probe_shape)
      return InvalidArgumentError(input + " (" + defender_name_ + ") turns hidden states " +
                                  c10::str(c10::IntArrayRef(hidden)) + " into " +
                                  c10::str(c10::IntArrayRef(out_shape).slice(1)) +
                                  "; a defender must keep their shape");
  }
  models::MakeParametersTrainable(defender_);
  std::vector<torch::Tensor> defender_params;
  for (const auto& p : defender_.parameters()) defender_params.push_back(p);
  defended_ = !defender_params.empty();
  if (defended_) {
    defender_optimizer_ = std::make_unique<torch::optim::Adam>(
        defender_params, torch::optim::AdamOptions(ctx.Get(kDefenderLr)));
    SM_ASSIGN_OR_RETURN(
        inverter_, split::MakeInverter(static_cast<int>(ctx.Get(kInverter)), hidden, bytes_.size(1),
                                       bytes_.size(2), bytes_.size(3)));
    inverter_optimizer_ = std::make_unique<torch::optim::Adam>(
        inverter_->parameters(), torch::optim::AdamOptions(ctx.Get(kInverterLr)));
  }
  return OkStatus();
}

Status DataOwner::Start(Context& ctx, const split::SplitConfig& config) {
  SM_ASSIGN_OR_RETURN(
      torch::jit::Module module,
      models::BuildModel(config.architecture, config.channels, config.height, config.width,
                         config.classes, static_cast<uint64_t>(config.seed)));
  if (bytes_.size(1) != config.channels || bytes_.size(2) != config.height ||
      bytes_.size(3) != config.width)
    return InvalidArgumentError(
        "this owner's images are " + c10::str(bytes_.sizes().slice(1)) +
        " (channels, height, width) but the server trains on [" + std::to_string(config.channels) +
        ", " + std::to_string(config.height) + ", " + std::to_string(config.width) +
        "]; set the owner's channels, height and width to convert them");
  models::MakeParametersTrainable(module);
  SM_ASSIGN_OR_RETURN(split::SplitModel m,
                      split::SplitModel::Make(std::move(module), config.architecture,
                                              config.split_after, bytes_.sizes().slice(1).vec()));
  model_.emplace(std::move(m));
  head_optimizer_ = std::make_unique<torch::optim::SGD>(
      model_->HeadParameters(), torch::optim::SGDOptions(config.lr).momentum(config.momentum));
  return LoadDefender(ctx, defender_index_);
}

Status DataOwner::SendActivations(int64_t round) {
  const int64_t batch = std::min<int64_t>(config_batch_, bytes_.size(0));
  std::vector<int64_t> picked;
  for (int64_t i = 0; i < batch; ++i) {
    if (cursor_ == order_.size()) {  // a new pass over the shard, in a new order
      std::shuffle(order_.begin(), order_.end(), rng_);
      cursor_ = 0;
      ++passes_;
    }
    picked.push_back(order_[cursor_++]);
  }
  split::Stopwatch timer{forward_seconds_};
  const torch::Tensor index = torch::tensor(picked, torch::kLong);
  InFlight flight{round, models::ToUnitRange(bytes_.index_select(0, index)), {}};
  flight.z = defender_.forward({model_->Head(flight.x, depth_ > 1)}).toTensor();
  split::Act act{round, flight.z.detach(), labels_.index_select(0, index)};
  in_flight_.push_back(std::move(flight));
  return connection_->Send(split::Encode(act));
}

Status DataOwner::RunAhead(int64_t after_round) {
  // The server averages the heads after the last round of each window; nothing of the
  // next window may be computed before the averaged head arrives.
  const int64_t window_end =
      std::min(total_rounds_ - 1, (after_round / sync_every_ + 1) * sync_every_ - 1);
  int64_t next = in_flight_.empty() ? after_round + 1 : in_flight_.back().round + 1;
  while (in_flight_.size() < depth_ && next <= window_end)
    SM_RETURN_IF_ERROR(SendActivations(next++));
  return OkStatus();
}

Status DataOwner::ApplyGradient(Context& ctx, const split::Grad& grad) {
  while (!in_flight_.empty() && in_flight_.front().round < grad.round) in_flight_.pop_front();
  if (in_flight_.empty() || in_flight_.front().round != grad.round)
    return OkStatus();  // a gradient for a batch this owner no longer holds
  split::Stopwatch timer{update_seconds_};
  const torch::Tensor x = in_flight_.front().x, z = in_flight_.front().z;
  in_flight_.pop_front();
  SM_RETURN_IF_ERROR(split::ExpectShape(grad.hidden_grad, "hidden_grad", z.sizes().vec()));
  torch::Tensor objective = (z * grad.hidden_grad).sum();
  if (defended_) {
    // The simulated adversary learns to invert what was sent...
    SM_ASSIGN_OR_RETURN(
        torch::Tensor attack,
        split::ReconstructionDistance(x, inverter_->forward(z.detach()), ctx.Get(kMetric)));
    inverter_optimizer_->zero_grad();
    attack.backward();
    inverter_optimizer_->step();
    last_inversion_ = attack.item<double>();
    // ...and the defender (with the head) keeps the task while pushing it away.
    SM_ASSIGN_OR_RETURN(torch::Tensor distance,
                        split::ReconstructionDistance(x, inverter_->forward(z), ctx.Get(kMetric)));
    objective = objective - ctx.Get(kPrivacyWeight) * distance;
    defender_optimizer_->zero_grad();
  }
  head_optimizer_->zero_grad();
  objective.backward();
  head_optimizer_->step();
  if (defended_) defender_optimizer_->step();
  ++rounds_;
  return OkStatus();
}

split::HeadState DataOwner::Head() {
  torch::jit::Module& module = model_->module();
  return {module.attr("input_mean").toTensor(), module.attr("input_std").toTensor(),
          model_->head_names(), model_->HeadParameters()};
}

split::Join DataOwner::JoinMessage() const {
  // Aggregates for the input normalisation; no pixel leaves this process otherwise.
  const torch::Tensor x = bytes_.to(torch::kDouble) / 255.0;
  const torch::Tensor sum = x.sum({0, 2, 3}), sq = (x * x).sum({0, 2, 3});
  split::PixelStats stats{
      std::vector<double>(sum.data_ptr<double>(), sum.data_ptr<double>() + sum.numel()),
      std::vector<double>(sq.data_ptr<double>(), sq.data_ptr<double>() + sq.numel()),
      static_cast<double>(x.numel() / x.size(1))};
  return {bytes_.size(0), std::move(stats)};
}

Status DataOwner::OnStep(Context& ctx, const split::Step& step) {
  if (state_ == State::kJoining) {
    // A well-formed training this owner cannot take part in (its images or its defender
    // do not fit the cut) is its own configuration error: Process stops and says why,
    // instead of staying silent while the server waits.
    Status started = Start(ctx, step.config);
    if (!started.ok()) {
      state_ = State::kStopped;
      return started.WithContext("cannot take part");
    }
    config_batch_ = step.config.batch;
    sync_every_ = step.config.sync_every;
    total_rounds_ = step.config.rounds;
    // Pipelined rounds need a head whose parameters can change under a batch in flight;
    // a trained defender's cannot (its module holds them), so it goes one batch at a time.
    depth_ = step.config.pipeline && !defended_ ? 2 : 1;
    state_ = State::kTraining;
  }
  in_flight_.clear();
  SM_RETURN_IF_ERROR(step.head.Fits(model_->head_names(), model_->HeadParameters()));
  {
    torch::NoGradGuard no_grad;
    model_->module().setattr("input_mean", step.head.input_mean);
    model_->module().setattr("input_std", step.head.input_std);
    SM_RETURN_IF_ERROR(model_->SetHead(step.head.parameters));
  }
  SM_RETURN_IF_ERROR(SendActivations(step.round));
  return RunAhead(step.round);
}

Status DataOwner::OnGrad(Context& ctx, const split::Grad& grad) {
  if (state_ != State::kTraining) return OkStatus();  // not started: nothing to train
  SM_RETURN_IF_ERROR(ApplyGradient(ctx, grad));
  if (!grad.sync) return RunAhead(grad.round);
  ++syncs_;
  return connection_->Send(split::Encode(split::Theta{grad.round, bytes_.size(0), Head()}));
}

Status DataOwner::Process(Context& ctx) {
  const PartyInfo* me = ctx.Party();
  if (me == nullptr) return FailedPreconditionError("data_owner.node runs only as a party");
  const std::clock_t cpu_start = std::clock();
  models::UseThreads(ctx.Get(kThreads));
  SM_RETURN_IF_ERROR(LoadShard(ctx, *me));
  SM_ASSIGN_OR_RETURN(defender_index_, PickDefender(ctx, *me));
  SM_ASSIGN_OR_RETURN(connection_,
                      party::Connection::Open(*me, split::ProtocolOptions(ctx.Get(kMaxMessageMb))));
  const Message join = split::Encode(JoinMessage());
  SM_RETURN_IF_ERROR(connection_->Send(join));
  ctx.Info("shard of " + std::to_string(bytes_.size(0)) + " examples; defender " +
           (defender_index_ < 0 ? std::string("none")
                                : "defenders[" + std::to_string(defender_index_) + "]"));

  std::vector<std::string> why;
  auto last_word = Clock::now();
  while (state_ != State::kStopped) {
    if (ctx.Cancelled()) return CancelledError("cancelled");
    std::optional<Message> m;
    {
      split::Stopwatch timer{waiting_seconds_};
      m = connection_->Receive(milliseconds(200), why);
    }
    for (const std::string& w : why) ctx.Warn(w);
    why.clear();
    const double silent = std::chrono::duration<double>(Clock::now() - last_word).count();
    if (!m) {
      if (silent > ctx.Get(kServerTimeout))
        return UnavailableError("no word from the server for " + std::to_string(silent) + " s");
      if (silent > ctx.Get(kRejoinAfter)) {
        // Dropped, or the server restarted: ask to take part again.
        SM_RETURN_IF_ERROR(connection_->Send(join));
        last_word = Clock::now();
      }
      continue;
    }
    last_word = Clock::now();
    StatusOr<split::ProtocolMessage> decoded = split::Decode(*m);
    Status handled = decoded.status();
    if (decoded.ok()) {
      if (std::holds_alternative<split::Stop>(*decoded)) {
        state_ = State::kStopped;
      } else if (const auto* step = std::get_if<split::Step>(&*decoded)) {
        handled = OnStep(ctx, *step);
        if (state_ == State::kStopped) return handled;
      } else if (const auto* grad = std::get_if<split::Grad>(&*decoded)) {
        handled = OnGrad(ctx, *grad);
      } else {
        handled = InvalidArgumentError("not a message the server sends");
      }
    }
    // A message this owner cannot use is the server's problem, not a reason to stop.
    if (!handled.ok()) ctx.Warn("ignored " + m->kind + " from the server: " + handled.message());
  }
  SM_ASSIGN_OR_RETURN(const Tensor* images, shard_.Get("images"));
  SM_ASSIGN_OR_RETURN(const Tensor* labels, shard_.Get("labels"));
  json summary = {
      {"owner", me->name},
      {"examples", bytes_.size(0)},
      {"data_digest", Sha256Hex(images->bytes() + labels->bytes())},
      {"defender", defender_name_},
      {"rounds", rounds_},
      {"synchronisations", syncs_},
      {"passes", passes_},
      {"last_inversion_distance", last_inversion_ < 0 ? json(nullptr) : json(last_inversion_)},
      {"seconds_forward", forward_seconds_},
      {"seconds_backward_and_update", update_seconds_},
      {"seconds_waiting", waiting_seconds_},
      // Wall-clock seconds above include time descheduled when owners share cores; this
      // is the CPU time the process actually used.
      {"cpu_seconds", static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC}};
  if (ctx.Get(kReleaseDefender) && model_) {
    torch::jit::Module released = defender_.clone();
    released.register_attribute("securemark_defender", c10::StringType::get(), defender_name_);
    SM_RETURN_IF_ERROR(ctx.Set(kDefenderOut, models::ModelFile(models::SaveModel(released))));
  }
  return ctx.Set(kSummary, JsonDocument(summary.dump(2)));
}

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::DataOwner, data_owner, node)
