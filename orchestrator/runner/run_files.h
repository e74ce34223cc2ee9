// The run's private directory (0700, under the system's temp directory): the host key
// files and job scripts that live only as long as the run. Removing it must also work
// from a signal handler, for a second Ctrl-C that exits without unwinding.
#pragma once

#include <string>

#include "securemark/status.h"

namespace securemark::runner {

// Creates the directory and remembers it for RemoveRunFilesNow.
StatusOr<std::string> CreateRunDirectory();
// Removes it with everything in it and forgets it.
void RemoveRunDirectory(const std::string& dir);

}  // namespace securemark::runner
