// The rounds of split learning on the server: enrolling owners, sending steps, training
// the tail on what comes back, synchronising heads, checkpointing.
#include "split_server.h"

#include <cmath>

#include "split/stopwatch.h"

namespace securemark::split_server {

std::optional<party::Envelope> SplitServer::Receive(Context& ctx, milliseconds timeout) {
  std::vector<std::string> why;
  std::optional<party::Envelope> e = listener_->Receive(timeout, why);
  for (const std::string& w : why) {
    ctx.Warn(w);
    if (rejected_.size() < 100) rejected_.push_back(w);
  }
  if (!e) return e;
  ++messages_in_;
  for (const std::string& p : e->message.payloads) bytes_in_ += static_cast<int64_t>(p.size());
  if (transcript_) {
    transcript_ << e->peer << " " << e->message.kind << " " << e->message.header.dump() << "\n";
    for (const std::string& p : e->message.payloads) transcript_ << p << "\n";
    transcript_.flush();
  }
  // A message from an owner that is not taking part asks it back in (it may have crashed,
  // stalled past a deadline, or just started).
  if (e->message.kind == "JOIN") {
    Enrol(ctx, e->peer, e->message);
    return std::nullopt;
  }
  auto it = owners_.find(e->peer);
  if (it == owners_.end() || (!it->second.active && !joining_.count(e->peer))) {
    if (it != owners_.end()) joining_.insert(e->peer);
    return std::nullopt;
  }
  return e;
}

namespace {

// The pixel statistics of a JOIN, or why they are unusable.
StatusOr<PixelStats> PixelStatsOf(const json& header, int64_t channels) {
  auto numbers = [&](const char* key) -> StatusOr<std::vector<double>> {
    auto it = header.find(key);
    if (it == header.end() || !it->is_array() || it->size() != static_cast<size_t>(channels))
      return InvalidArgumentError(std::string(key) + " is not " + std::to_string(channels) +
                                  " numbers (one per channel of the model's input)");
    std::vector<double> out;
    for (const json& v : *it) {
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        return InvalidArgumentError(std::string(key) + " holds " + v.dump() + ", not a number");
      out.push_back(v.get<double>());
    }
    return out;
  };
  PixelStats stats;
  SM_ASSIGN_OR_RETURN(stats.sum, numbers("pixel_sum"));
  SM_ASSIGN_OR_RETURN(stats.sq, numbers("pixel_sq_sum"));
  auto pixels = header.find("pixels");
  if (pixels == header.end() || !pixels->is_number() || !(pixels->get<double>() >= 0))
    return InvalidArgumentError("pixels is not a count");
  stats.pixels = pixels->get<double>();
  return stats;
}

}  // namespace

void SplitServer::Enrol(Context& ctx, const std::string& peer, const Message& join) {
  // The first joins carry pixel statistics for the input normalisation; an owner whose
  // statistics are unusable does not take part (it would skew everyone's inputs).
  std::optional<PixelStats> stats;
  if (!resumed_ && join.header.contains("pixel_sum")) {
    StatusOr<PixelStats> parsed = PixelStatsOf(join.header, ctx.Get(kChannels));
    if (!parsed.ok()) {
      refusals_[peer] = "JOIN refused: " + parsed.status().message();
      ctx.Warn(peer + ": " + refusals_[peer]);
      if (rejected_.size() < 100) rejected_.push_back(peer + ": " + refusals_[peer]);
      return;
    }
    stats = *parsed;
  }
  Owner& o = owners_[peer];
  const bool again = o.examples > 0;
  o.examples = std::max<int64_t>(0, split::HeaderInt(join.header, "examples", 0));
  o.active = false;
  o.needs_head = true;
  joining_.insert(peer);
  refusals_.erase(peer);
  if (again) events_.push_back({{"event", "rejoined"}, {"owner", peer}});
  if (stats) stats_[peer] = *stats;
}

Status SplitServer::WaitForOwners(Context& ctx) {
  const auto deadline =
      Clock::now() + milliseconds(static_cast<int64_t>(ctx.Get(kJoinTimeout) * 1000));
  const size_t expected = ctx.Party()->peers.size();
  while (joining_.size() < expected && Clock::now() < deadline) {
    if (ctx.Cancelled()) return CancelledError("cancelled while owners joined");
    Receive(ctx, milliseconds(100));
  }
  if (joining_.size() < static_cast<size_t>(ctx.Get(kMinOwners))) {
    std::string refused;
    for (const auto& [peer, why] : refusals_) refused += "; " + peer + ": " + why;
    return UnavailableError(std::to_string(joining_.size()) + " of " + std::to_string(expected) +
                            " owners joined within " + std::to_string(ctx.Get(kJoinTimeout)) +
                            " s; min_owners is " + std::to_string(ctx.Get(kMinOwners)) + refused);
  }
  if (resumed_ || stats_.empty()) return OkStatus();
  // Normalisation from the owners' pixel sums: the server learns aggregates, not pixels.
  const int64_t c = ctx.Get(kChannels);
  std::vector<double> sum(c), sq(c);
  double pixels = 0;
  for (const auto& [peer, stats] : stats_) {
    for (int64_t i = 0; i < c; ++i) {
      sum[i] += stats.sum[i];
      sq[i] += stats.sq[i];
    }
    pixels += stats.pixels;
  }
  if (pixels <= 0) return OkStatus();
  std::vector<double> mean(c), std(c);
  for (int64_t i = 0; i < c; ++i) {
    mean[i] = sum[i] / pixels;
    std[i] = std::sqrt(std::max(1e-12, sq[i] / pixels - mean[i] * mean[i]));
  }
  return models::SetInputNormalization(model_->module(), mean, std);
}

Status SplitServer::SendStep(Context& ctx, const std::string& peer, int64_t round) {
  Message step{"STEP", {{"round", round}, {"config", Config(ctx).ToJson()}}, {}};
  torch::jit::Module& m = model_->module();
  AddTensor(step, "input_mean", m.attr("input_mean").toTensor());
  AddTensor(step, "input_std", m.attr("input_std").toTensor());
  const std::vector<torch::Tensor> head = model_->HeadParameters();
  for (size_t i = 0; i < head.size(); ++i) AddTensor(step, model_->head_names()[i], head[i]);
  for (const std::string& p : step.payloads) bytes_out_ += static_cast<int64_t>(p.size());
  owners_[peer].needs_head = false;
  return listener_->Send(peer, step);
}

void SplitServer::Drop(Context& ctx, const std::string& peer, const std::string& why) {
  owners_[peer].active = false;
  early_.erase(peer);
  joining_.erase(peer);
  events_.push_back({{"event", "dropped"}, {"owner", peer}, {"why", why}});
  ctx.Warn(peer + " dropped: " + why);
}

Status SplitServer::Round(Context& ctx, int64_t round, bool last) {
  const milliseconds timeout(static_cast<int64_t>(ctx.Get(kRoundTimeout) * 1000));
  // Owners joining now get the head and start with this round.
  for (const std::string& peer : std::set<std::string>(joining_)) {
    if (SendStep(ctx, peer, round).ok()) owners_[peer].active = true;
    joining_.erase(peer);
  }
  std::set<std::string> waiting;
  for (const auto& [peer, o] : owners_) {
    if (o.active) waiting.insert(peer);
  }
  if (waiting.size() < static_cast<size_t>(ctx.Get(kMinOwners)))
    return UnavailableError("only " + std::to_string(waiting.size()) +
                            " owners remain; min_owners is " + std::to_string(ctx.Get(kMinOwners)));
  const auto round_start = Clock::now();
  // Hidden states of this round, in arrival order.
  std::vector<std::string> senders;
  std::vector<torch::Tensor> hidden, labels;
  const auto deadline = Clock::now() + timeout;
  while (!waiting.empty() && Clock::now() < deadline) {
    if (ctx.Cancelled()) return CancelledError("cancelled in round " + std::to_string(round));
    std::optional<party::Envelope> e;
    for (const std::string& peer : waiting) {  // sent ahead by a pipelining owner
      auto early = early_[peer].find(round);
      if (early == early_[peer].end()) continue;
      e = std::move(early->second);
      early_[peer].erase(early);
      break;
    }
    if (!e) e = Receive(ctx, milliseconds(50));
    if (!e || e->message.kind != "ACT" || !owners_[e->peer].active) continue;
    const int64_t act_round = split::HeaderInt(e->message.header, "round", -1);
    if (act_round > round && act_round <= round + 2 && early_[e->peer].size() < 4) {
      early_[e->peer].emplace(act_round, std::move(*e));
      continue;
    }
    if (act_round != round || !waiting.count(e->peer)) continue;  // a stale answer
    auto tensors = split::TensorsOf(e->message, {"hidden", "labels"});
    std::vector<int64_t> expected = model_->hidden_shape();
    if (tensors.ok()) expected.insert(expected.begin(), (*tensors)[0].size(0));
    Status ok =
        tensors.ok() ? split::ExpectShape((*tensors)[0], "hidden", expected) : tensors.status();
    if (ok.ok()) ok = split::ExpectShape((*tensors)[1], "labels", {(*tensors)[0].size(0)});
    if (ok.ok() && ((*tensors)[1].min().item<int64_t>() < 0 ||
                    (*tensors)[1].max().item<int64_t>() >= ctx.Get(kClasses)))
      ok = InvalidArgumentError("labels outside [0, " + std::to_string(ctx.Get(kClasses)) + ")");
    waiting.erase(e->peer);
    if (!ok.ok()) {
      Drop(ctx, e->peer, "bad ACT: " + ok.message());
      continue;
    }
    senders.push_back(e->peer);
    hidden.push_back((*tensors)[0]);
    labels.push_back((*tensors)[1]);
  }
  for (const std::string& peer : waiting)
    Drop(ctx, peer,
         "no hidden states for round " + std::to_string(round) + " within " +
             std::to_string(ctx.Get(kRoundTimeout)) + " s");
  if (senders.empty()) return OkStatus();
  const auto computed = Clock::now();
  waiting_seconds_ += std::chrono::duration<double>(computed - round_start).count();

  torch::Tensor z = torch::cat(hidden).requires_grad_(true);
  torch::Tensor loss = torch::nn::functional::cross_entropy(model_->Tail(z), torch::cat(labels));
  if (fingerprint_.defined()) {
    SM_ASSIGN_OR_RETURN(
        torch::Tensor w,
        models::LayerSignal(model_->module(), ctx.Get(kFingerprintLayer), key_.unit_weights));
    loss = loss + ctx.Get(kMu) * torch::mse_loss(torch::matmul(key_.x, w), fingerprint_);
  }
  tail_optimizer_->zero_grad();
  loss.backward();
  tail_optimizer_->step();
  loss_sum_ += loss.item<double>();
  for (size_t i = 0; ctx.Get(kCacheActivations) > 0 && i < hidden.size(); ++i) {
    cache_.emplace_back(hidden[i], labels[i]);
    cached_ += hidden[i].size(0);
    while (cached_ - cache_.front().first.size(0) >= ctx.Get(kCacheActivations)) {
      cached_ -= cache_.front().first.size(0);
      cache_.pop_front();
    }
  }
  ++loss_count_;
  const bool sync = last || (round + 1) % ctx.Get(kSyncEvery) == 0;
  int64_t offset = 0;
  for (size_t i = 0; i < senders.size(); ++i) {
    const int64_t n = hidden[i].size(0);
    Message grad{"GRAD", {{"round", round}, {"sync", sync}, {"next", sync ? -1 : round + 1}}, {}};
    AddTensor(grad, "hidden_grad", z.grad().narrow(0, offset, n));
    offset += n;
    bytes_out_ += static_cast<int64_t>(grad.payloads[0].size());
    if (!listener_->Send(senders[i], grad).ok()) Drop(ctx, senders[i], "unreachable");
  }
  const auto synced = Clock::now();
  compute_seconds_ += std::chrono::duration<double>(synced - computed).count();
  if (!sync) return OkStatus();
  split::Stopwatch timer{sync_seconds_, synced};

  // Average the owners' heads, weighted by their examples.
  const std::vector<std::string> names = split::HeadStateNames(model_->head_names());
  std::set<std::string> pending(senders.begin(), senders.end());
  std::vector<torch::Tensor> total;
  double weight = 0;
  const auto sync_deadline = Clock::now() + timeout;
  while (!pending.empty() && Clock::now() < sync_deadline) {
    std::optional<party::Envelope> e = Receive(ctx, milliseconds(50));
    if (!e || e->message.kind != "THETA" || !pending.count(e->peer)) continue;
    if (split::HeaderInt(e->message.header, "round", -1) != round) continue;
    pending.erase(e->peer);
    auto tensors = split::TensorsOf(e->message, names);
    Status ok = tensors.status();
    for (size_t i = 2; ok.ok() && i < names.size(); ++i)
      ok = split::ExpectShape((*tensors)[i], names[i],
                              model_->HeadParameters()[i - 2].sizes().vec());
    if (!ok.ok()) {
      Drop(ctx, e->peer, "bad THETA: " + ok.message());
      continue;
    }
    const double w = static_cast<double>(std::max<int64_t>(1, owners_[e->peer].examples));
    for (size_t i = 2; i < names.size(); ++i) {
      if (total.size() < i - 1) total.push_back(torch::zeros_like((*tensors)[i]));
      total[i - 2] += (*tensors)[i] * w;
    }
    weight += w;
  }
  for (const std::string& peer : pending) Drop(ctx, peer, "no head at synchronisation");
  if (weight > 0) {
    for (torch::Tensor& t : total) t /= weight;
    SM_RETURN_IF_ERROR(model_->SetHead(total));
  }
  if (last) return OkStatus();
  for (const auto& [peer, o] : owners_) {
    if (o.active && !SendStep(ctx, peer, round + 1).ok()) Drop(ctx, peer, "unreachable");
  }
  return OkStatus();
}

Status SplitServer::Process(Context& ctx) {
  const PartyInfo* me = ctx.Party();
  if (me == nullptr)
    return FailedPreconditionError(
        "server_trainer.split runs as the first party of a step "
        "with data_owner.node parties");
  const auto start = Clock::now();
  SM_RETURN_IF_ERROR(Setup(ctx));
  SM_ASSIGN_OR_RETURN(listener_,
                      party::Listener::Open(*me, split::ProtocolOptions(ctx.Get(kMaxMessageMb))));
  SM_RETURN_IF_ERROR(ctx.Announce(listener_->endpoint()));
  SM_RETURN_IF_ERROR(WaitForOwners(ctx));
  int64_t largest = 1;
  for (const auto& [peer, o] : owners_) largest = std::max(largest, o.examples);
  const int64_t per_epoch = (largest + ctx.Get(kBatch) - 1) / ctx.Get(kBatch);
  const int64_t rounds =
      ctx.Get(kMaxRounds) > 0 ? ctx.Get(kMaxRounds) : ctx.Get(kEpochs) * per_epoch;
  rounds_ = rounds;
  ctx.Info(std::to_string(owners_.size()) + " owners joined; " + std::to_string(rounds) +
           " rounds of " + std::to_string(ctx.Get(kBatch)) + " examples per owner");
  const auto train_start = Clock::now();
  for (int64_t round = first_round_; round < rounds; ++round) {
    SM_RETURN_IF_ERROR(Round(ctx, round, round + 1 == rounds));
    if (ctx.Get(kCheckpointEvery) > 0 && (round + 1) % ctx.Get(kCheckpointEvery) == 0)
      checkpoints_->Offer(model_->module(), round);
    ctx.Progress(static_cast<double>(round + 1), static_cast<double>(rounds), "round");
  }
  const double train_seconds = std::chrono::duration<double>(Clock::now() - train_start).count();
  for (const auto& [peer, key] : me->peers)
    (void)listener_->Send(peer, {"STOP", json::object(), {}});
  checkpoints_->Flush();

  json report = {{"architecture", ctx.Get(kArchitecture)},
                 {"split_after", ctx.Get(kSplitAfter)},
                 {"owners", owners_.size()},
                 {"rounds", rounds - first_round_},
                 {"resumed_at_round", resumed_ ? json(first_round_) : json(nullptr)},
                 {"batch_per_owner", ctx.Get(kBatch)},
                 {"mean_loss", loss_count_ ? loss_sum_ / loss_count_ : 0.0},
                 {"events", events_},
                 {"rejected_messages", rejected_},
                 {"messages_received", messages_in_},
                 {"bytes_received", bytes_in_},
                 {"bytes_sent", bytes_out_},
                 {"encrypted", me->curve},
                 {"train_seconds", train_seconds},
                 // Where the rounds' time went: owners computing and the network, the
                 // server's tail, and averaging the heads.
                 {"seconds_waiting_for_owners", waiting_seconds_},
                 {"seconds_server_compute", compute_seconds_},
                 {"seconds_synchronising", sync_seconds_}};
  Labels labels;
  if (fingerprint_.defined()) {
    torch::NoGradGuard no_grad;
    const std::string layer = ctx.Get(kFingerprintLayer);
    auto mse = [&] {
      return torch::mse_loss(torch::matmul(key_.x, *models::LayerSignal(model_->module(), layer,
                                                                        key_.unit_weights)),
                             fingerprint_)
          .item<double>();
    };
    report["fingerprint"] = {{"customer", ctx.Get(kCustomer)},
                             {"layer", layer},
                             {"mu", ctx.Get(kMu)},
                             {"trained_mse", mse()}};
    if (ctx.Get(kExact)) {
      SM_ASSIGN_OR_RETURN(double norm,
                          models::CorrectExactly(model_->module(), key_, fingerprint_, layer));
      report["fingerprint"]["correction_norm"] = norm;
    }
    report["fingerprint"]["mse"] = mse();
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    labels = {{"customer", std::to_string(ctx.Get(kCustomer))},
              {"codebook", codebook.name()},
              {"layer", layer}};
  }
  if (ctx.Has(kTest)) {
    SM_ASSIGN_OR_RETURN(Dataset test, ctx.Get(kTest));
    SM_ASSIGN_OR_RETURN(const Tensor* images, test.Get("images"));
    SM_ASSIGN_OR_RETURN(const Tensor* labels, test.Get("labels"));
    report["test_accuracy"] = models::Accuracy(model_->module(), models::ImagesToTensor(*images),
                                               models::LabelsToTensor(*labels));
  }
  report["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  SM_RETURN_IF_ERROR(ctx.Set(kModel, ModelFile(models::SaveModel(model_->module())), labels));
  if (!cache_.empty()) {
    std::vector<torch::Tensor> hidden, labels;
    for (const auto& [h, y] : cache_) {
      hidden.push_back(h);
      labels.push_back(y);
    }
    domain::Activations activations;
    activations.Put(std::string(domain::kHiddenTensor), split::ToSdkTensor(torch::cat(hidden)));
    activations.Put(std::string(domain::kLabelsTensor), split::ToSdkTensor(torch::cat(labels)));
    activations.SetAttr("architecture", ctx.Get(kArchitecture));
    activations.SetAttr("split_after", ctx.Get(kSplitAfter));
    activations.Put(
        std::string(domain::kInputShapeTensor),
        domain::InputShapeTensor({ctx.Get(kChannels), ctx.Get(kHeight), ctx.Get(kWidth)}));
    SM_RETURN_IF_ERROR(ctx.Set(kActivations, activations));
  }
  return ctx.Set(kReport, JsonDocument(report.dump(2)));
}

}  // namespace securemark::split_server

SECUREMARK_PLUGIN(securemark::split_server::SplitServer, server_trainer, split)
