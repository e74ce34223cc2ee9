// Starting child processes (plugin hosts, tools) without a shell.
#pragma once

#include <string>
#include <vector>

#include "securemark/status.h"

namespace securemark {

struct ProcessResult {
  int exit_code = -1;  // valid when the child exited
  int signal = 0;      // non-zero when a signal ended it
  std::string output;  // captured stdout, when asked for
};

// Runs argv[0] (looked up in PATH when it has no slash) and waits. stdout is captured when
// `capture_stdout` is set, inherited otherwise; stderr is inherited, or captured with it
// when `capture_stderr` is set (for tools whose errors are worth passing on).
StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv, bool capture_stdout,
                                   bool capture_stderr = false);

// Starts argv without waiting (stdio inherited); pair with WaitProcess.
StatusOr<int> StartProcess(const std::vector<std::string>& argv);
StatusOr<ProcessResult> WaitProcess(int pid);

// Path of a sibling executable of the running one (e.g. "securemark-host").
std::string SiblingExecutable(const std::string& name);

}  // namespace securemark
