// The split-learning protocol between server_trainer.split (S, the listening party) and
// data_owner.node (O), after SecureMark-DL's Algorithm 1:
//   O->S Join  {examples, pixel statistics}       aggregate statistics only
//   S->O Step  {round, config, head Θ_l}           to a (re)joining owner, and to every owner
//                                                  after a synchronisation
//   O->S Act   {round, hidden, labels}             the defender's output, never images
//   S->O Grad  {round, sync, d loss / d hidden}
//   O->S Theta {round, examples, head Θ_l}         after a Grad with sync
//   S->O Stop  {}
// Owners update their copy of Θ_l every round from the server's gradient and the server
// averages the copies every `sync_every` rounds (weighted by examples), so Θ_l crosses
// the network once per synchronisation instead of twice per round.
//
// Each message is a struct; Encode and Decode are the only places that know the wire
// form. Decode trusts nothing a peer sends: every field is checked for presence, type and
// range, and the error names the message and the field.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <torch/torch.h>

#include "securemark/party.h"
#include "split/split_config.h"

namespace securemark::split {

party::ChannelOptions ProtocolOptions(int64_t max_message_mb);

// Per-channel pixel sums of an owner's shard, for the input normalisation.
struct PixelStats {
  std::vector<double> sum, sq;
  double pixels = 0;
};

// Θ_l as it crosses: the input normalisation, then the head's parameters in layer order.
struct HeadState {
  torch::Tensor input_mean, input_std;
  std::vector<std::string> names;
  std::vector<torch::Tensor> parameters;

  // Names and shapes equal the given head's, in order.
  Status Fits(const std::vector<std::string>& head_names,
              const std::vector<torch::Tensor>& head) const;
};

struct Join {
  int64_t examples = 0;
  std::optional<PixelStats> stats;  // absent when the owner has nothing to add (rejoin)
};
struct Step {
  int64_t round = 0;
  SplitConfig config;
  HeadState head;
};
struct Act {
  int64_t round = 0;
  torch::Tensor hidden;  // float [N, ...]
  torch::Tensor labels;  // int64 [N]
};
struct Grad {
  int64_t round = 0;
  bool sync = false;  // the owner answers with a Theta
  torch::Tensor hidden_grad;
};
struct Theta {
  int64_t round = 0;
  int64_t examples = 0;
  HeadState head;
};
struct Stop {};

using ProtocolMessage = std::variant<Join, Step, Act, Grad, Theta, Stop>;

Message Encode(const ProtocolMessage& message);
StatusOr<ProtocolMessage> Decode(const Message& message);

}  // namespace securemark::split
