#include "transport/curve.h"

#include <sys/stat.h>
#include <sstream>

#include <zmq_addon.hpp>

#include "securemark/files.h"
#include "transport/messages.h"

namespace securemark::transport {
namespace {

std::string Z85ToBinary(const std::string& z85) {
  std::string binary(32, '\0');
  if (z85.size() != 40 ||
      zmq_z85_decode(reinterpret_cast<uint8_t*>(binary.data()), z85.c_str()) == nullptr) {
    return "";
  }
  return binary;
}

std::string BinaryToZ85(const std::string& binary) {
  char z85[41] = {};
  zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(binary.data()), binary.size());
  return z85;
}

}  // namespace

KeyPair NewKeyPair() {
  char pub[41] = {}, sec[41] = {};
  zmq_curve_keypair(pub, sec);
  return {pub, sec};
}

Status WriteKeyPair(const std::string& path, const KeyPair& keys) {
  SM_RETURN_IF_ERROR(WriteFileAtomic(
      path + ".key", "public " + keys.public_key + "\nsecret " + keys.secret_key + "\n", 0600));
  return WriteFileAtomic(path + ".pub", keys.public_key + "\n", 0644);
}

StatusOr<KeyPair> ReadKeyPair(const std::string& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0) return NotFoundError(key_file + ": no such key file");
  if (st.st_mode & 0077) {
    return PermissionDeniedError(key_file + ": secret key file is readable by others (mode " +
                                 std::to_string((st.st_mode >> 6) & 7) +
                                 std::to_string((st.st_mode >> 3) & 7) +
                                 std::to_string(st.st_mode & 7) + "); run chmod 600 on it");
  }
  SM_ASSIGN_OR_RETURN(std::string text, ReadFile(key_file));
  std::istringstream in(text);
  KeyPair keys;
  std::string label, value;
  while (in >> label >> value) {
    if (label == "public") keys.public_key = value;
    if (label == "secret") keys.secret_key = value;
  }
  if (Z85ToBinary(keys.public_key).empty() || Z85ToBinary(keys.secret_key).empty()) {
    return InvalidArgumentError(key_file +
                                ": expected 'public <40 Z85 chars>' and 'secret <40 Z85 chars>'");
  }
  return keys;
}

StatusOr<std::string> ReadPublicKey(const std::string& key_or_file) {
  if (key_or_file.size() == 40 && !Z85ToBinary(key_or_file).empty()) return key_or_file;
  SM_ASSIGN_OR_RETURN(std::string text, ReadFile(key_or_file));
  std::istringstream in(text);
  std::string word, previous;
  while (in >> word) {
    if (word.size() == 40 && !Z85ToBinary(word).empty() && previous != "secret") return word;
    previous = word;
  }
  return InvalidArgumentError(key_or_file + ": no public key (40 Z85 characters) in it");
}

ZapHandler::ZapHandler(zmq::context_t& context) : socket_(context, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

void ZapHandler::Allow(const std::string& z85_public_key, const std::string& user_id) {
  std::string binary = Z85ToBinary(z85_public_key);
  if (!binary.empty()) allowed_[binary] = user_id;
}

void ZapHandler::Revoke(const std::string& z85_public_key) {
  allowed_.erase(Z85ToBinary(z85_public_key));
}

std::string ZapHandler::HandleRequest() {
  std::vector<zmq::message_t> request;
  if (!zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait))
    return "";
  // version, request id, domain, address, identity, mechanism, credentials...
  std::string request_id = request.size() > 1 ? request[1].to_string() : "";
  std::string key = request.size() > 6 ? request[6].to_string() : "";
  const bool ok = request.size() >= 7 && request[5].to_string() == "CURVE" && allowed_.count(key);
  const std::string user_id = ok ? allowed_[key] : "";
  std::vector<zmq::const_buffer> reply = {
      zmq::str_buffer("1.0"),
      zmq::buffer(request_id),
      ok ? zmq::str_buffer("200") : zmq::str_buffer("400"),
      ok ? zmq::str_buffer("OK") : zmq::str_buffer("key not allowed"),
      zmq::buffer(user_id),
      zmq::str_buffer("")};
  zmq::send_multipart(socket_, reply);
  return ok ? "" : (key.size() == 32 ? BinaryToZ85(key) : "<no CURVE key>");
}

}  // namespace securemark::transport
