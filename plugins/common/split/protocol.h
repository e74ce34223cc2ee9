// The split-learning protocol between server_trainer.split (S, the listening party) and
// data_owner.node (O), after SecureMark-DL's Algorithm 1:
//   O->S JOIN  {examples, pixel_sum[c], pixel_sq_sum[c], pixels}   aggregate statistics only
//   S->O STEP  {round, config} + the head Θ_l (server's averaged copy)   to a (re)joining
//              owner, and to every owner after a synchronisation
//   O->S ACT   {round} + [hidden, labels]          the defender's output, never images
//   S->O GRAD  {round, sync, next} + [d loss / d hidden]
//   O->S THETA {round, examples} + Θ_l              after a GRAD with sync
//   S->O STOP  {}
// Owners update their copy of Θ_l every round from the server's gradient and the server
// averages the copies every `sync_every` rounds (weighted by examples), so Θ_l crosses
// the network once per synchronisation instead of twice per round.
#pragma once

#include <nlohmann/json.hpp>

#include "securemark/party.h"

namespace securemark::split {

inline party::ChannelOptions ProtocolOptions(int64_t max_message_mb) {
  party::ChannelOptions o;
  o.kinds = {"JOIN", "STEP", "ACT", "GRAD", "THETA", "STOP"};
  o.max_message_bytes = max_message_mb << 20;
  return o;
}

// A header's integer (or boolean) field, or `fallback` when absent or of another type: a
// malformed message from a peer is then ignored like a stale one, never thrown on.
inline int64_t HeaderInt(const nlohmann::json& header, const char* key, int64_t fallback) {
  auto it = header.find(key);
  return it != header.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}
inline bool HeaderBool(const nlohmann::json& header, const char* key, bool fallback) {
  auto it = header.find(key);
  return it != header.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// Names of the head state in STEP and THETA: normalisation buffers, then parameters.
inline std::vector<std::string> HeadStateNames(const std::vector<std::string>& parameters) {
  std::vector<std::string> names = {"input_mean", "input_std"};
  names.insert(names.end(), parameters.begin(), parameters.end());
  return names;
}

}  // namespace securemark::split
