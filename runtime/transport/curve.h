// CURVE keys and the ZAP handler that admits only listed client keys. Without a ZAP
// handler libzmq lets in any client that knows the server's public key.
#pragma once

#include <map>
#include <string>

#include <zmq.hpp>

#include "securemark/status.h"

namespace securemark::transport {

struct KeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;
};

KeyPair NewKeyPair();

// Key files: NAME.key holds "public <z85>\nsecret <z85>\n" (mode 0600; a key readable by
// others is refused), NAME.pub holds the public key alone.
Status WriteKeyPair(const std::string& path_without_extension, const KeyPair& keys);
StatusOr<KeyPair> ReadKeyPair(const std::string& key_file);
// A public key given literally (40 Z85 characters) or as a .pub/.key file.
StatusOr<std::string> ReadPublicKey(const std::string& key_or_file);

// Serves ZAP requests on inproc://zeromq.zap.01 for sockets of `context`. Poll socket()
// and call HandleRequest() when readable. Must exist before the server socket binds.
class ZapHandler {
 public:
  explicit ZapHandler(zmq::context_t& context);
  // `user_id` is what the connection's messages carry as their "User-Id" property.
  void Allow(const std::string& z85_public_key, const std::string& user_id = "");
  // Refuses the key from now on (connections already made stay).
  void Revoke(const std::string& z85_public_key);
  zmq::socket_t& socket() { return socket_; }
  // Answers one request; returns the refused key (Z85) when it was refused, else "".
  std::string HandleRequest();

 private:
  zmq::socket_t socket_;
  std::map<std::string, std::string> allowed_;  // binary 32-byte key -> user id
};

}  // namespace securemark::transport
