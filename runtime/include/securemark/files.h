// Small file helpers with Status errors that name the file.
#pragma once

#include <sys/types.h>
#include <string>

#include "securemark/status.h"

namespace securemark {

StatusOr<std::string> ReadFile(const std::string& path);

// Writes via a temporary file in the same directory, fsync, then rename, so readers see
// either the old or the new content. `mode` applies to the final file.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode = 0644);

// Directory of the running executable (resolved through /proc/self/exe).
std::string ExecutableDirectory();

}  // namespace securemark
