#include "util/process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "securemark/files.h"

extern char** environ;

namespace securemark {

StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv, bool capture_stdout,
                                   bool capture_stderr) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture_stdout) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      return InternalError(std::string("pipe failed: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    if (capture_stderr) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture_stdout) close(pipe_fds[1]);
  if (rc != 0) {
    if (capture_stdout) close(pipe_fds[0]);
    return UnavailableError("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  ProcessResult result;
  if (capture_stdout) {
    char buffer[1 << 14];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      result.output.append(buffer, static_cast<size_t>(n));
    }
    close(pipe_fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return InternalError(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

StatusOr<int> StartProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) return UnavailableError("cannot start " + argv[0] + ": " + std::strerror(rc));
  return static_cast<int>(pid);
}

StatusOr<ProcessResult> WaitProcess(int pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return InternalError(std::string("waitpid: ") + std::strerror(errno));
  }
  ProcessResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string SiblingExecutable(const std::string& name) {
  return (std::filesystem::path(ExecutableDirectory()) / name).string();
}

}  // namespace securemark
