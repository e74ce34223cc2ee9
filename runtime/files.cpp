#include "securemark/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace securemark {
namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    std::string msg = path + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? NotFoundError(msg) : PermissionDeniedError(msg);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    // Devices such as /dev/zero never end; only regular files have a size to trust.
    return InvalidArgumentError(path + ": is " + std::string(kind) + "; expected a regular file");
  }
  // Reads what the file holds now: at most its size at open, so a file that keeps growing
  // cannot make the reader allocate without bound. Files that report no size (/proc)
  // are read to their end, up to 16 MiB.
  const size_t size = st.st_size > 0 ? static_cast<size_t>(st.st_size) : size_t{16} << 20;
  std::string content;
  content.reserve(size);
  char buffer[1 << 16];
  while (content.size() < size) {
    const size_t want = std::min(sizeof buffer, size - content.size());
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      std::string msg = path + ": read failed: " + std::strerror(errno);
      ::close(fd);
      return DataLossError(msg);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  fs::path target(path);
  std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tmpXXXXXX"));
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return PermissionDeniedError(path + ": cannot create temporary file: " + std::strerror(errno));
  auto fail = [&](const char* what) {
    std::string msg = path + ": " + what + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return DataLossError(msg);
  };
  if (::fchmod(fd, mode) != 0) return fail("chmod failed");
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync failed");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return DataLossError(path + ": close failed: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = path + ": rename failed: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return DataLossError(msg);
  }
  return OkStatus();
}

std::string ExecutableDirectory() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace securemark
