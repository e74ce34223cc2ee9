#include "blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "securemark/files.h"

namespace securemark::store {
namespace fs = std::filesystem;
namespace {

bool IsHexDigest(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return DataLossError(dir + ": cannot open directory: " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return DataLossError(dir + ": fsync failed: " + std::strerror(errno));
  return OkStatus();
}

}  // namespace

Status BlobStore::Init() {
  std::error_code ec;
  fs::create_directories(fs::path(root_) / "blobs", ec);
  if (!ec) fs::create_directories(fs::path(root_) / "tmp", ec);
  if (ec) return PermissionDeniedError(root_ + ": cannot create blob directories: " + ec.message());
  return OkStatus();
}

std::string BlobStore::PathOf(const std::string& digest) const {
  return (fs::path(root_) / "blobs" / digest.substr(0, 2) / digest.substr(2)).string();
}

bool BlobStore::Exists(const std::string& digest) const {
  std::error_code ec;
  return IsHexDigest(digest) && fs::is_regular_file(PathOf(digest), ec);
}

StatusOr<std::string> BlobStore::Put(std::string_view bytes, bool secret) {
  std::string digest = Sha256Hex(bytes);
  SM_RETURN_IF_ERROR(Write(bytes, digest, secret));
  return digest;
}

Status BlobStore::Write(std::string_view bytes, const std::string& digest, bool secret) {
  const std::string target = PathOf(digest);
  const mode_t mode = secret ? 0600 : 0644;
  if (Exists(digest)) {
    // Same content already durable; a secret copy makes the shared file secret too.
    if (secret) ::chmod(target.c_str(), 0600);
    return OkStatus();
  }
  const std::string dir = fs::path(target).parent_path().string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return PermissionDeniedError(dir + ": " + ec.message());
  std::string tmp = (fs::path(root_) / "tmp" / "blob-XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return PermissionDeniedError(tmp + ": cannot create: " + std::strerror(errno));
  // Held until close (or death): tells garbage collection this temp file is being written.
  ::flock(fd, LOCK_EX);
  auto fail = [&](const std::string& what) -> Status {
    std::string msg = tmp + ": " + what + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return DataLossError(msg);
  };
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string msg = target + ": rename failed: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return DataLossError(msg);
  }
  return FsyncDirectory(dir);
}

StatusOr<std::string> BlobStore::Get(const std::string& digest) const {
  if (!IsHexDigest(digest)) return InvalidArgumentError("'" + digest + "' is not a sha256 digest");
  SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(PathOf(digest)));
  if (Sha256Hex(bytes) != digest) {
    return DataLossError(PathOf(digest) + ": content does not match its digest");
  }
  return bytes;
}

StatusOr<int64_t> BlobStore::SizeOf(const std::string& digest) const {
  std::error_code ec;
  auto size = fs::file_size(PathOf(digest), ec);
  if (ec) return NotFoundError(PathOf(digest) + ": " + ec.message());
  return static_cast<int64_t>(size);
}

Status BlobStore::Verify(const std::string& digest) const {
  if (!Exists(digest)) return NotFoundError("blob " + digest + " is missing");
  return Get(digest).status();
}

StatusOr<int64_t> BlobStore::Remove(const std::string& digest) {
  SM_ASSIGN_OR_RETURN(int64_t size, SizeOf(digest));
  std::error_code ec;
  fs::remove(PathOf(digest), ec);
  if (ec) return PermissionDeniedError(PathOf(digest) + ": " + ec.message());
  return size;
}

std::vector<std::string> BlobStore::ListDigests() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& fan : fs::directory_iterator(fs::path(root_) / "blobs", ec)) {
    if (!fan.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(fan.path(), ec)) {
      std::string digest = fan.path().filename().string() + file.path().filename().string();
      if (IsHexDigest(digest)) out.push_back(digest);
    }
  }
  return out;
}

std::vector<std::string> BlobStore::ListTempFiles() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(fs::path(root_) / "tmp", ec)) {
    out.push_back(file.path().string());
  }
  return out;
}

StatusOr<int64_t> BlobStore::RemoveAbandonedTempFiles(int64_t* bytes_freed) {
  int64_t removed = 0;
  for (const std::string& path : ListTempFiles()) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      struct stat st {};
      if (::fstat(fd, &st) == 0 && bytes_freed) *bytes_freed += st.st_size;
      if (::unlink(path.c_str()) == 0) ++removed;
    }
    ::close(fd);
  }
  return removed;
}

Status BlobStore::CheckPrivate(const std::string& digest) const {
  const std::string path = PathOf(digest);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return NotFoundError("blob " + path + " is missing");
  if (st.st_mode & 0077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return PermissionDeniedError("secret blob " + path + " is readable by others (mode " + mode +
                                 "); refusing to use it until `chmod 600 " + path + "`");
  }
  return OkStatus();
}

}  // namespace securemark::store
