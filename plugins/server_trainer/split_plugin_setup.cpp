// Setting the server up: its model (or the checkpoint it resumes from) and the
// fingerprint it embeds while training.
#include "split_server.h"

namespace securemark::split_server {

split::SplitConfig SplitServer::Config(Context& ctx) const {
  split::SplitConfig c;
  c.architecture = ctx.Get(kArchitecture);
  c.split_after = ctx.Get(kSplitAfter);
  c.channels = ctx.Get(kChannels);
  c.height = ctx.Get(kHeight);
  c.width = ctx.Get(kWidth);
  c.classes = ctx.Get(kClasses);
  c.batch = ctx.Get(kBatch);
  c.lr = ctx.Get(kLr);
  c.momentum = ctx.Get(kMomentum);
  c.seed = ctx.Get(kSeed);
  c.sync_every = ctx.Get(kSyncEvery);
  c.rounds = rounds_;
  c.pipeline = ctx.Get(kPipeline);
  return c;
}

Status SplitServer::Setup(Context& ctx) {
  models::UseThreads(ctx.Get(kThreads));
  torch::jit::Module module;
  checkpoints_ = std::make_unique<split::CheckpointWriter>(ctx.Party()->state_dir);
  SM_ASSIGN_OR_RETURN(std::optional<split::Checkpoint> saved, checkpoints_->Load());
  if (saved && ctx.Get(kCacheActivations) > 0) {
    // The hidden states to cache live only in memory: a resumed run would complete with
    // fewer of them, or none, and later steps would find no 'activations'.
    ctx.Info("not resuming from the checkpoint of round " + std::to_string(saved->round) +
             ": the hidden states kept for 'cache_activations' did not survive; training "
             "again from the start");
    saved.reset();
  }
  if (saved) {
    module = std::move(saved->model);
    first_round_ = saved->round + 1;
    resumed_ = true;
    ctx.Info("resuming from the checkpoint of round " + std::to_string(saved->round));
  } else if (ctx.Has(kInit)) {
    SM_ASSIGN_OR_RETURN(module, models::GetModel(ctx, kInit));
  } else {
    SM_ASSIGN_OR_RETURN(
        module, models::BuildModel(ctx.Get(kArchitecture), ctx.Get(kChannels), ctx.Get(kHeight),
                                   ctx.Get(kWidth), ctx.Get(kClasses), ctx.Get(kSeed)));
  }
  models::MakeParametersTrainable(module);
  SM_ASSIGN_OR_RETURN(
      split::SplitModel m,
      split::SplitModel::Make(std::move(module), ctx.Get(kArchitecture), ctx.Get(kSplitAfter),
                              {ctx.Get(kChannels), ctx.Get(kHeight), ctx.Get(kWidth)}));
  model_.emplace(std::move(m));
  tail_optimizer_ = std::make_unique<torch::optim::SGD>(
      model_->TailParameters(),
      torch::optim::SGDOptions(ctx.Get(kLr)).momentum(ctx.Get(kMomentum)));
  SM_RETURN_IF_ERROR(SetupFingerprint(ctx));
  if (!ctx.Get(kTranscript).empty()) {
    transcript_.open(ctx.Get(kTranscript), std::ios::binary | std::ios::app);
    if (!transcript_) return UnavailableError("cannot write transcript " + ctx.Get(kTranscript));
  }
  return OkStatus();
}

Status SplitServer::SetupFingerprint(Context& ctx) {
  if (!ctx.Has(kCodebook)) return OkStatus();
  if (!ctx.Has(kBasis)) return InvalidArgumentError("a codebook needs its 'basis' input too");
  SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
  SM_ASSIGN_OR_RETURN(domain::Basis basis_map, ctx.Get(kBasis));
  SM_ASSIGN_OR_RETURN(const Tensor* basis_tensor, basis_map.Get(domain::kBasisTensor));
  SM_ASSIGN_OR_RETURN(Eigen::MatrixXd basis, codes::MatrixFromTensor(*basis_tensor));
  if (ctx.Get(kCustomer) >= codebook.users())
    return InvalidArgumentError("customer " + std::to_string(ctx.Get(kCustomer)) + " is not in " +
                                codebook.name() + ", which has " +
                                std::to_string(codebook.users()) + " customers");
  if (basis.cols() != codebook.length())
    return InvalidArgumentError("the basis has " + std::to_string(basis.cols()) +
                                " columns but the code has " + std::to_string(codebook.length()) +
                                " bits");
  const std::string layer = ctx.Get(kFingerprintLayer);
  if (std::find(model_->tail_names().begin(), model_->tail_names().end(), layer + "_weight") ==
      model_->tail_names().end())
    return InvalidArgumentError("fingerprint_layer '" + layer +
                                "' is not in the server's part of the model");
  SM_ASSIGN_OR_RETURN(torch::Tensor signal, models::LayerSignal(model_->module(), layer));
  SM_ASSIGN_OR_RETURN(torch::Tensor weight, models::LayerWeight(model_->module(), layer));
  const torch::Tensor fingerprint =
      models::ToTorch(codes::FingerprintVector(codebook, basis, ctx.Get(kCustomer)))
          .to(torch::kFloat)
          .flatten();
  SM_ASSIGN_OR_RETURN(
      models::ProjectionKey key,
      models::KeyFromInputOrNew(ctx, kKeyIn, kKeyOut, fingerprint.numel(), signal.numel(), layer,
                                models::KeyRoot(ctx.Get(kKeySeed), basis), weight.size(0)));
  if (key.unit_weights.defined() && key.unit_weights.numel() != weight.size(0))
    return InvalidArgumentError("the key does not fit the fingerprint and layer '" + layer + "'");
  SM_ASSIGN_OR_RETURN(fingerprint_, models::FingerprintTerm::Make(
                                        model_->module(), key, fingerprint, layer, ctx.Get(kMu)));
  // SecureMark-DL's μ term: the fingerprint is injected into every round's loss.
  loss_terms_.push_back([this] { return fingerprint_->Loss(model_->module()); });
  return OkStatus();
}

}  // namespace securemark::split_server
