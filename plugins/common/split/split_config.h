// What the split-learning server tells every data owner in STEP: the model to build, where
// it is cut, the optimiser and the round schedule. One struct for both sides, so the
// owner has no defaults of its own to drift from the server's, and a malformed config
// from the network is refused with the field it got wrong instead of being guessed at.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "securemark/status.h"

namespace securemark::split {

struct SplitConfig {
  std::string architecture = "fc900";
  std::string split_after = "fc2";
  int64_t channels = 1, height = 28, width = 28, classes = 10;
  int64_t batch = 32;  // examples per owner per round
  double lr = 0.05, momentum = 0.9;
  int64_t seed = 0;
  int64_t sync_every = 50;  // rounds between averaging the owners' heads
  int64_t rounds = 0;
  bool pipeline = true;  // owners may compute the next round's hidden states ahead

  nlohmann::json ToJson() const;
  // Every field must be present with its type and in range; errors name the field.
  static StatusOr<SplitConfig> FromJson(const nlohmann::json& json);
};

}  // namespace securemark::split
