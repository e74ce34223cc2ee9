#include "runner/run_files.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "runner/runner.h"
#include "runner/slurm.h"

namespace securemark::runner {
namespace {

// The run's directory, for RemoveRunFilesNow (no allocation in a signal handler).
char g_work_dir[4096];

}  // namespace

StatusOr<std::string> CreateRunDirectory() {
  std::string work = (std::filesystem::temp_directory_path() / "securemark-run-XXXXXX").string();
  if (work.size() >= sizeof g_work_dir || mkdtemp(work.data()) == nullptr)
    return InternalError("cannot create a run directory in " +
                         std::filesystem::temp_directory_path().string());
  std::memcpy(g_work_dir, work.c_str(), work.size() + 1);
  return work;
}

void RemoveRunDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  g_work_dir[0] = '\0';
}

void RemoveRunFilesNow() {
  CancelRememberedJobsNow();  // host jobs would otherwise wait out their orchestrator
  if (g_work_dir[0] == '\0') return;
  char path[sizeof g_work_dir + 32];
  for (const char* name : {"/local-host.key", "/local-host.pub", "/orchestrator.pub"}) {
    // strcpy/strcat are async-signal-safe in practice (glibc); snprintf is not.
    std::strcpy(path, g_work_dir);
    std::strcat(path, name);
    unlink(path);
  }
  rmdir(g_work_dir);
}

}  // namespace securemark::runner
