// The rounds of split learning on the server: enrolling owners, sending steps, training
// the tail on what comes back, synchronising heads, checkpointing.
#include "split_server.h"

#include <cmath>
#include <ctime>

#include "split/stopwatch.h"

namespace securemark::split_server {

void SplitServer::Reject(Context& ctx, const std::string& why) {
  ctx.Warn(why);
  if (rejected_.size() < 100) rejected_.push_back(why);
}

std::optional<SplitServer::Received> SplitServer::Receive(Context& ctx, milliseconds timeout) {
  std::vector<std::string> why;
  std::optional<party::Envelope> e = listener_->Receive(timeout, why);
  for (const std::string& w : why) Reject(ctx, w);
  if (!e) return std::nullopt;
  ++messages_in_;
  for (const std::string& p : e->message.payloads) bytes_in_ += static_cast<int64_t>(p.size());
  if (transcript_) {
    transcript_ << e->peer << " " << e->message.kind << " " << e->message.header.dump() << "\n";
    for (const std::string& p : e->message.payloads) transcript_ << p << "\n";
    transcript_.flush();
  }
  StatusOr<split::ProtocolMessage> decoded = split::Decode(e->message);
  if (!decoded.ok()) {
    // A taking-part owner that sends garbage is dropped (it may join again); anyone
    // else's garbage is only noted.
    auto it = owners_.find(e->peer);
    if (it != owners_.end() && it->second.active)
      Drop(ctx, e->peer, decoded.status().message());
    else
      Reject(ctx, e->peer + ": " + decoded.status().message());
    return std::nullopt;
  }
  // A message from an owner that is not taking part asks it back in (it may have crashed,
  // stalled past a deadline, or just started).
  if (const auto* join = std::get_if<split::Join>(&*decoded)) {
    Enrol(ctx, e->peer, *join);
    return std::nullopt;
  }
  auto it = owners_.find(e->peer);
  if (it == owners_.end() || (!it->second.active && !joining_.count(e->peer))) {
    if (it != owners_.end()) joining_.insert(e->peer);
    return std::nullopt;
  }
  return Received{e->peer, std::move(*decoded)};
}

Status SplitServer::Send(const std::string& peer, const split::ProtocolMessage& message) {
  Message m = split::Encode(message);
  for (const std::string& p : m.payloads) bytes_out_ += static_cast<int64_t>(p.size());
  return listener_->Send(peer, m);
}

void SplitServer::Enrol(Context& ctx, const std::string& peer, const split::Join& join) {
  // The first joins carry pixel statistics for the input normalisation; an owner whose
  // statistics do not fit the model's channels does not take part (it would skew
  // everyone's inputs).
  if (!resumed_ && join.stats &&
      join.stats->sum.size() != static_cast<size_t>(ctx.Get(kChannels))) {
    refusals_[peer] = "JOIN refused: pixel statistics for " +
                      std::to_string(join.stats->sum.size()) + " channels, the model has " +
                      std::to_string(ctx.Get(kChannels));
    Reject(ctx, peer + ": " + refusals_[peer]);
    return;
  }
  Owner& o = owners_[peer];
  const bool again = o.examples > 0;
  o.examples = join.examples;
  o.active = false;
  joining_.insert(peer);
  refusals_.erase(peer);
  if (again) events_.push_back({{"event", "rejoined"}, {"owner", peer}});
  if (!resumed_ && join.stats) stats_[peer] = *join.stats;
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
  torch::jit::Module& m = model_->module();
  split::Step step{round,
                   Config(ctx),
                   {m.attr("input_mean").toTensor(), m.attr("input_std").toTensor(),
                    model_->head_names(), model_->HeadParameters()}};
  return Send(peer, step);
}

void SplitServer::Drop(Context& ctx, const std::string& peer, const std::string& why) {
  owners_[peer].active = false;
  early_.erase(peer);
  joining_.erase(peer);
  events_.push_back({{"event", "dropped"}, {"owner", peer}, {"why", why}});
  ctx.Warn(peer + " dropped: " + why);
}

void SplitServer::AdmitJoiners(Context& ctx, int64_t round) {
  for (const std::string& peer : std::set<std::string>(joining_)) {
    if (SendStep(ctx, peer, round).ok()) owners_[peer].active = true;
    joining_.erase(peer);
  }
}

StatusOr<SplitServer::RoundBatch> SplitServer::CollectActivations(Context& ctx, int64_t round) {
  std::set<std::string> waiting;
  for (const auto& [peer, o] : owners_) {
    if (o.active) waiting.insert(peer);
  }
  if (waiting.size() < static_cast<size_t>(ctx.Get(kMinOwners)))
    return UnavailableError("only " + std::to_string(waiting.size()) +
                            " owners remain; min_owners is " + std::to_string(ctx.Get(kMinOwners)));
  RoundBatch batch;
  std::vector<int64_t> expected = model_->hidden_shape();
  expected.insert(expected.begin(), 0);
  const auto deadline =
      Clock::now() + milliseconds(static_cast<int64_t>(ctx.Get(kRoundTimeout) * 1000));
  while (!waiting.empty() && Clock::now() < deadline) {
    if (ctx.Cancelled()) return CancelledError("cancelled in round " + std::to_string(round));
    std::optional<std::pair<std::string, split::Act>> act;
    for (const std::string& peer : waiting) {  // sent ahead by a pipelining owner
      auto early = early_[peer].find(round);
      if (early == early_[peer].end()) continue;
      act.emplace(peer, std::move(early->second));
      early_[peer].erase(early);
      break;
    }
    if (!act) {
      std::optional<Received> r = Receive(ctx, milliseconds(50));
      if (!r || !owners_[r->peer].active) continue;
      split::Act* a = std::get_if<split::Act>(&r->message);
      if (a == nullptr) continue;
      if (a->round > round && a->round <= round + 2 && early_[r->peer].size() < 4) {
        early_[r->peer].emplace(a->round, std::move(*a));
        continue;
      }
      if (a->round != round || !waiting.count(r->peer)) continue;  // a stale answer
      act.emplace(r->peer, std::move(*a));
    }
    const auto& [peer, a] = *act;
    expected[0] = a.hidden.size(0);
    Status ok = split::ExpectShape(a.hidden, "hidden", expected);
    if (ok.ok() &&
        (a.labels.min().item<int64_t>() < 0 || a.labels.max().item<int64_t>() >= ctx.Get(kClasses)))
      ok = InvalidArgumentError("labels outside [0, " + std::to_string(ctx.Get(kClasses)) + ")");
    waiting.erase(peer);
    if (!ok.ok()) {
      Drop(ctx, peer, "bad ACT: " + ok.message());
      continue;
    }
    batch.senders.push_back(peer);
    batch.hidden.push_back(a.hidden);
    batch.labels.push_back(a.labels);
  }
  for (const std::string& peer : waiting)
    Drop(ctx, peer,
         "no hidden states for round " + std::to_string(round) + " within " +
             std::to_string(ctx.Get(kRoundTimeout)) + " s");
  return batch;
}

Status SplitServer::TrainTail(Context& ctx, const RoundBatch& batch, int64_t round, bool sync) {
  torch::Tensor z = torch::cat(batch.hidden).requires_grad_(true);
  torch::Tensor loss =
      torch::nn::functional::cross_entropy(model_->Tail(z), torch::cat(batch.labels));
  for (const auto& term : loss_terms_) loss = loss + term();
  tail_optimizer_->zero_grad();
  loss.backward();
  tail_optimizer_->step();
  loss_sum_ += loss.item<double>();
  ++loss_count_;
  for (size_t i = 0; ctx.Get(kCacheActivations) > 0 && i < batch.hidden.size(); ++i) {
    cache_.emplace_back(batch.hidden[i], batch.labels[i]);
    cached_ += batch.hidden[i].size(0);
    while (cached_ - cache_.front().first.size(0) >= ctx.Get(kCacheActivations)) {
      cached_ -= cache_.front().first.size(0);
      cache_.pop_front();
    }
  }
  int64_t offset = 0;
  for (size_t i = 0; i < batch.senders.size(); ++i) {
    const int64_t n = batch.hidden[i].size(0);
    split::Grad grad{round, sync, z.grad().narrow(0, offset, n)};
    offset += n;
    if (!Send(batch.senders[i], grad).ok()) Drop(ctx, batch.senders[i], "unreachable");
  }
  return OkStatus();
}

Status SplitServer::AverageHeads(Context& ctx, const RoundBatch& batch, int64_t round) {
  // Weighted by the owners' examples.
  std::set<std::string> pending(batch.senders.begin(), batch.senders.end());
  const std::vector<torch::Tensor> head = model_->HeadParameters();
  std::vector<torch::Tensor> total;
  for (const torch::Tensor& t : head) total.push_back(torch::zeros_like(t));
  double weight = 0;
  const auto deadline =
      Clock::now() + milliseconds(static_cast<int64_t>(ctx.Get(kRoundTimeout) * 1000));
  while (!pending.empty() && Clock::now() < deadline) {
    if (ctx.Cancelled()) return CancelledError("cancelled in round " + std::to_string(round));
    std::optional<Received> r = Receive(ctx, milliseconds(50));
    if (!r || !pending.count(r->peer)) continue;
    const split::Theta* theta = std::get_if<split::Theta>(&r->message);
    if (theta == nullptr || theta->round != round) continue;
    pending.erase(r->peer);
    Status ok = theta->head.Fits(model_->head_names(), head);
    if (!ok.ok()) {
      Drop(ctx, r->peer, "bad THETA: " + ok.message());
      continue;
    }
    const double w = static_cast<double>(std::max<int64_t>(1, owners_[r->peer].examples));
    for (size_t i = 0; i < total.size(); ++i) total[i] += theta->head.parameters[i] * w;
    weight += w;
  }
  for (const std::string& peer : pending) Drop(ctx, peer, "no head at synchronisation");
  if (weight <= 0) return OkStatus();
  for (torch::Tensor& t : total) t /= weight;
  return model_->SetHead(total);
}

Status SplitServer::Round(Context& ctx, int64_t round, bool last) {
  AdmitJoiners(ctx, round);
  const auto round_start = Clock::now();
  SM_ASSIGN_OR_RETURN(RoundBatch batch, CollectActivations(ctx, round));
  if (batch.senders.empty()) return OkStatus();
  const auto computed = Clock::now();
  waiting_seconds_ += std::chrono::duration<double>(computed - round_start).count();
  const bool sync = last || (round + 1) % ctx.Get(kSyncEvery) == 0;
  SM_RETURN_IF_ERROR(TrainTail(ctx, batch, round, sync));
  const auto trained = Clock::now();
  compute_seconds_ += std::chrono::duration<double>(trained - computed).count();
  if (!sync) return OkStatus();
  split::Stopwatch timer{sync_seconds_, trained};
  SM_RETURN_IF_ERROR(AverageHeads(ctx, batch, round));
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
  const std::clock_t cpu_start = std::clock();
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
  for (const auto& [peer, key] : me->peers) (void)Send(peer, split::Stop{});
  checkpoints_->Flush();
  json report = Report(ctx, rounds, train_seconds);
  report["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  report["cpu_seconds"] = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return EmitOutputs(ctx, std::move(report));
}

json SplitServer::Report(Context& ctx, int64_t rounds, double train_seconds) const {
  return {{"architecture", ctx.Get(kArchitecture)},
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
          {"encrypted", ctx.Party()->curve},
          {"train_seconds", train_seconds},
          // Where the rounds' time went: owners computing and the network, the server's
          // tail, and averaging the heads.
          {"seconds_waiting_for_owners", waiting_seconds_},
          {"seconds_server_compute", compute_seconds_},
          {"seconds_synchronising", sync_seconds_}};
}

Status SplitServer::EmitOutputs(Context& ctx, json report) {
  Labels labels;
  if (fingerprint_) {
    torch::jit::Module& m = model_->module();
    report["fingerprint"] = {{"customer", ctx.Get(kCustomer)},
                             {"layer", fingerprint_->layer()},
                             {"mu", fingerprint_->mu()},
                             {"trained_mse", fingerprint_->Mse(m)}};
    if (ctx.Get(kExact)) {
      SM_ASSIGN_OR_RETURN(double norm, fingerprint_->Correct(m));
      report["fingerprint"]["correction_norm"] = norm;
    }
    report["fingerprint"]["mse"] = fingerprint_->Mse(m);
    SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
    labels = {{"customer", std::to_string(ctx.Get(kCustomer))},
              {"codebook", codebook.name()},
              {"layer", fingerprint_->layer()}};
  }
  if (ctx.Has(kTest)) {
    SM_ASSIGN_OR_RETURN(Dataset test, ctx.Get(kTest));
    SM_ASSIGN_OR_RETURN(const Tensor* images, test.Get("images"));
    SM_ASSIGN_OR_RETURN(const Tensor* test_labels, test.Get("labels"));
    report["test_accuracy"] = models::Accuracy(model_->module(), models::ImagesToTensor(*images),
                                               models::LabelsToTensor(*test_labels));
  }
  SM_RETURN_IF_ERROR(ctx.Set(kModel, ModelFile(models::SaveModel(model_->module())), labels));
  if (!cache_.empty()) {
    std::vector<torch::Tensor> hidden, cached_labels;
    for (const auto& [h, y] : cache_) {
      hidden.push_back(h);
      cached_labels.push_back(y);
    }
    domain::Activations activations;
    activations.Put(std::string(domain::kHiddenTensor), split::ToSdkTensor(torch::cat(hidden)));
    activations.Put(std::string(domain::kLabelsTensor),
                    split::ToSdkTensor(torch::cat(cached_labels)));
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
