// server_trainer.split: the server of split learning (the listening party). It holds the
// tail Θ_r and an averaged copy of the head Θ_l, trains on the hidden states the data
// owners send, drops owners that miss a round's deadline, takes back owners that join
// again, checkpoints every round to its state directory and resumes from there.
// split_plugin.cpp has the rounds and the outputs, split_plugin_setup.cpp setting up.
#pragma once

#include <deque>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "codes/codebook.h"
#include "codes/keys.h"
#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/plugin_support.h"
#include "models/projection.h"
#include "models/training.h"
#include "securemark/files.h"
#include "securemark/node.h"
#include "split/checkpoint.h"
#include "split/protocol.h"
#include "split/split_config.h"
#include "split/split_model.h"
#include "split/tensor_frames.h"

namespace securemark {
using models::ModelFile;
}

namespace securemark::split_server {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Owner {
  int64_t examples = 0;
  bool active = false;  // takes part in rounds
};

class SplitServer : public Node {
 public:
  static constexpr Input<Dataset> kTest{"test", "Test set for accuracy at the end.", kOptional};
  static constexpr Input<ModelFile> kInit{"init", "Start from this model.", kOptional};
  static constexpr Output<ModelFile> kModel{"model", "The trained model (head and tail)."};
  static constexpr Output<JsonDocument> kReport{"report", "Rounds, owners, traffic, accuracy."};
  static constexpr Output<domain::Activations> kActivations{
      "activations",
      "The last hidden states the owners sent (already obfuscated), with their labels: "
      "\"hidden\" [N, features], \"labels\" [N]. For cheap per-customer fingerprinting.",
      kOptional};
  // Fingerprinting one customer's model during training (SecureMark-DL's μ term on Θ_r).
  static constexpr Input<codes::Codebook> kCodebook{
      "codebook", "Embed this code's fingerprint of `customer` while training.", kOptional};
  static constexpr Input<domain::Basis> kBasis{"basis", "Orthonormal basis U of the code.",
                                               kOptional};
  static constexpr Input<domain::ProjectionKey> kKeyIn{
      "key", "Projection key X (else a new one, see key_seed).", kOptional};
  static constexpr Output<domain::ProjectionKey> kKeyOut{"key_out", "The key made here.",
                                                         kOptional | kSecret};
  static constexpr Param<int64_t> kCustomer{"customer", 0, "Whose fingerprint.", Range{0, 1e9}};
  static constexpr Param<double> kMu{"mu", 0.2, "Weight of the fingerprint term.", Range{0, 1e6}};
  static constexpr Param<std::string> kFingerprintLayer{"fingerprint_layer", "fc4",
                                                        "A layer of the tail."};
  static constexpr auto kKeySeed = Param<int64_t>::Secret(
      "key_seed", 0,
      "Explicit seed of a key made here, for reproducible experiments only; 0 derives it from "
      "the secret basis. Kept secret.",
      Range{0, 9.2e18});
  static constexpr Param<bool> kExact{"exact", true,
                                      "At the end, make X w = F exactly (least-norm change)."};
  static constexpr Param<int64_t> kCacheActivations{
      "cache_activations", 0, "Keep this many of the last hidden states (0: none).", Range{0, 1e8}};
  static constexpr Param<std::string> kArchitecture{"architecture", "fc900", "Zoo model.",
                                                    Choices{"fc900|deepmarks_cnn"}};
  static constexpr Param<std::string> kSplitAfter{"split_after", "fc2",
                                                  "Last layer of the owners' head."};
  static constexpr Param<int64_t> kChannels{"channels", 1, "Image channels.", Range{1, 16}};
  static constexpr Param<int64_t> kHeight{"height", 28, "Image height.", Range{1, 4096}};
  static constexpr Param<int64_t> kWidth{"width", 28, "Image width.", Range{1, 4096}};
  static constexpr Param<int64_t> kClasses{"classes", 10, "Classes.", Range{2, 100000}};
  static constexpr Param<int64_t> kEpochs{"epochs", 1, "Passes over the largest shard.",
                                          Range{1, 10000}};
  static constexpr Param<int64_t> kMaxRounds{
      "max_rounds", 0, "Stop after this many rounds (0: epochs decide).", Range{0, 1e9}};
  static constexpr Param<int64_t> kBatch{"batch", 32, "Examples per owner per round.",
                                         Range{1, 65536}};
  static constexpr Param<double> kLr{"lr", 0.05, "SGD learning rate.", Range{1e-9, 10}};
  static constexpr Param<double> kMomentum{"momentum", 0.9, "SGD momentum.", Range{0, 0.999}};
  static constexpr Param<int64_t> kSyncEvery{
      "sync_every", 50, "Rounds between averaging the owners' heads.", Range{1, 1e9}};
  static constexpr Param<int64_t> kSeed{"seed", 0, "Initialisation seed."};
  static constexpr Param<bool> kPipeline{
      "pipeline", true,
      "Owners compute the next round's hidden states while the server computes this one's "
      "(their head lags one step; owners with a trained defender do not run ahead)."};
  static constexpr Param<double> kRoundTimeout{
      "round_timeout", 30, "Seconds an owner has to answer a round.", Range{0.01, 86400}};
  static constexpr Param<double> kJoinTimeout{
      "join_timeout", 120, "Seconds to wait for owners to join.", Range{0.1, 86400}};
  static constexpr Param<int64_t> kMinOwners{"min_owners", 1, "Fail when fewer owners remain.",
                                             Range{1, 4096}};
  static constexpr Param<int64_t> kMaxMessageMb{
      "max_message_mb", 256, "Largest message accepted, in MiB.", Range{1, 2047}};
  static constexpr Param<int64_t> kCheckpointEvery{
      "checkpoint_every", 1, "Rounds between checkpoints (0: never).", Range{0, 1e9}};
  static constexpr Param<std::string> kTranscript{
      "transcript", "", "Append every message received to this file (for audits)."};
  static constexpr Param<int64_t> kThreads{"threads", 0, "LibTorch threads (0: shared default).",
                                           Range{0, 1024}};

  static Contract GetContract() {
    return Contract::Build(
        "2.0.0",
        "Trains a model by split learning with data-owner parties: owners run the head and "
        "a defender on their own data and send hidden states; the server trains the tail.",
        kTest, kInit, kModel, kReport, kActivations, kCacheActivations, kCodebook, kBasis, kKeyIn,
        kKeyOut, kCustomer, kMu, kFingerprintLayer, kKeySeed, kExact, kArchitecture, kSplitAfter,
        kChannels, kHeight, kWidth, kClasses, kEpochs, kMaxRounds, kBatch, kLr, kMomentum,
        kSyncEvery, kSeed, kPipeline, kRoundTimeout, kJoinTimeout, kMinOwners, kMaxMessageMb,
        kCheckpointEvery, kTranscript, kThreads);
  }

  Status Process(Context& ctx) override;

 private:
  // Hidden states of one round, in arrival order.
  struct RoundBatch {
    std::vector<std::string> senders;
    std::vector<torch::Tensor> hidden, labels;
  };
  // An owner's message, decoded and checked.
  struct Received {
    std::string peer;
    split::ProtocolMessage message;
  };

  Status Setup(Context& ctx);
  Status SetupFingerprint(Context& ctx);
  Status WaitForOwners(Context& ctx);
  // One round is four phases: owners joining now get the head; the server collects the
  // round's hidden states, trains the tail on them all as one batch and returns each
  // owner its gradient; at a synchronisation it averages the owners' heads.
  Status Round(Context& ctx, int64_t round, bool last);
  void AdmitJoiners(Context& ctx, int64_t round);
  StatusOr<RoundBatch> CollectActivations(Context& ctx, int64_t round);
  Status TrainTail(Context& ctx, const RoundBatch& batch, int64_t round, bool sync);
  Status AverageHeads(Context& ctx, const RoundBatch& batch, int64_t round);
  std::optional<Received> Receive(Context& ctx, milliseconds timeout);
  void Enrol(Context& ctx, const std::string& peer, const split::Join& join);
  Status SendStep(Context& ctx, const std::string& peer, int64_t round);
  Status Send(const std::string& peer, const split::ProtocolMessage& message);
  void Drop(Context& ctx, const std::string& peer, const std::string& why);
  void Reject(Context& ctx, const std::string& why);
  split::SplitConfig Config(Context& ctx) const;
  json Report(Context& ctx, int64_t rounds, double train_seconds) const;
  Status EmitOutputs(Context& ctx, json report);

  std::unique_ptr<party::Listener> listener_;
  std::optional<split::SplitModel> model_;
  std::unique_ptr<torch::optim::SGD> tail_optimizer_;
  // Terms added to the task loss every round (fingerprinting while training is one).
  std::vector<std::function<torch::Tensor()>> loss_terms_;
  std::optional<models::FingerprintTerm> fingerprint_;
  std::map<std::string, Owner> owners_;
  std::set<std::string> joining_;                   // asked to take part from the next round
  std::map<std::string, split::PixelStats> stats_;  // from the first JOINs
  std::map<std::string, std::string> refusals_;     // owners whose JOIN was refused, and why
  std::map<std::string, std::map<int64_t, split::Act>> early_;  // Acts of later rounds
  int64_t rounds_ = 0;
  std::deque<std::pair<torch::Tensor, torch::Tensor>> cache_;  // (hidden, labels) per batch
  int64_t cached_ = 0;
  std::ofstream transcript_;
  int64_t first_round_ = 0;
  bool resumed_ = false;
  json events_ = json::array();
  json rejected_ = json::array();
  int64_t bytes_in_ = 0, bytes_out_ = 0, messages_in_ = 0;
  double waiting_seconds_ = 0, compute_seconds_ = 0, sync_seconds_ = 0;
  double loss_sum_ = 0;
  int64_t loss_count_ = 0;
  std::unique_ptr<split::CheckpointWriter> checkpoints_;
};

}  // namespace securemark::split_server
