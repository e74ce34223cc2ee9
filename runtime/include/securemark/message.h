// A message between processes: a kind, a JSON header and payload frames. Parties of a
// multi-party step exchange them over securemark/party.h; the host and the orchestrator
// speak the same framing.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace securemark {

struct Message {
  std::string kind;
  nlohmann::json header = nlohmann::json::object();
  std::vector<std::string> payloads;
};

}  // namespace securemark
