// The store's own secret: a 32-byte key in <dir>/store.key (0600), made on first use.
// It keys digests of secret parameter values, so the cache can tell them apart while
// the metadata reveals nothing a guess could be checked against.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "store.h"

namespace securemark::store {
namespace {

namespace fs = std::filesystem;
constexpr size_t kKeyBytes = 32;

std::string Hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * size, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

StatusOr<std::string> ReadKey(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return NotFoundError(path);
  if (!S_ISREG(st.st_mode) || st.st_size != static_cast<off_t>(kKeyBytes)) {
    return DataLossError(path + ": not a " + std::to_string(kKeyBytes) + "-byte store key");
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError(path + " is readable by others; refusing to use it until " +
                                 "`chmod 600 " + path + "`");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PermissionDeniedError(path + ": " + std::strerror(errno));
  std::string key(kKeyBytes, '\0');
  const ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(kKeyBytes)) return DataLossError(path + ": short read");
  return key;
}

// Writes a fresh key next to `path` and links it into place, so that of two processes
// making it at once, one wins and both use the winner's.
Status MakeKey(const std::string& path) {
  unsigned char key[kKeyBytes];
  if (RAND_bytes(key, sizeof key) != 1) return InternalError("no randomness for the store key");
  const std::string temp = path + ".new." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return PermissionDeniedError(temp + ": " + std::strerror(errno));
  const bool written =
      ::write(fd, key, sizeof key) == static_cast<ssize_t>(sizeof key) && ::fsync(fd) == 0;
  ::close(fd);
  const bool linked = written && (::link(temp.c_str(), path.c_str()) == 0 || errno == EEXIST);
  ::unlink(temp.c_str());
  if (!linked) return PermissionDeniedError(path + ": cannot create the store key");
  return OkStatus();
}

}  // namespace

StatusOr<std::string> Store::KeyedDigest(std::string_view text) {
  const std::string path = (fs::path(dir_) / "store.key").string();
  StatusOr<std::string> key = ReadKey(path);
  if (key.status().code() == StatusCode::kNotFound) {
    SM_RETURN_IF_ERROR(MakeKey(path));
    key = ReadKey(path);
  }
  if (!key.ok()) return key.status();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  return "hmac-sha256:" + Hex(mac, size);
}

}  // namespace securemark::store
