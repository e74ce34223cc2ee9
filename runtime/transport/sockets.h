// Socket helpers shared by the orchestrator and the hosts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace securemark::transport {

// Options every securemark socket gets: no linger, bounded message size.
void ConfigureSocket(zmq::socket_t& socket);

void SendFrames(zmq::socket_t& socket, const std::vector<std::string>& frames);

// One multipart message, or nothing when none is waiting.
std::optional<std::vector<std::string>> ReceiveFrames(zmq::socket_t& socket);

}  // namespace securemark::transport
