#include "transport/sockets.h"

#include <zmq_addon.hpp>

#include "transport/messages.h"

namespace securemark::transport {

void ConfigureSocket(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
}

void SendFrames(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  std::vector<zmq::const_buffer> buffers;
  buffers.reserve(frames.size());
  for (const auto& f : frames) buffers.push_back(zmq::buffer(f));
  zmq::send_multipart(socket, buffers);
}

std::optional<std::vector<std::string>> ReceiveFrames(zmq::socket_t& socket) {
  std::vector<zmq::message_t> parts;
  if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  std::vector<std::string> frames;
  frames.reserve(parts.size());
  for (auto& p : parts) frames.push_back(p.to_string());
  return frames;
}

}  // namespace securemark::transport
