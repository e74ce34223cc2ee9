// Running a loaded plugin library's node in this process, as the host does.
#pragma once

#include "loader/plugin_catalog.h"
#include "securemark/local_context.h"

namespace securemark {

// Resolves parameters, checks inputs, then Open, Process, Close on a fresh node of
// `plugin`, and checks the outputs.
StatusOr<std::vector<OutputValue>> RunNode(const LoadedPlugin& plugin, const ParamMap& params,
                                           InputValues inputs, ExecutionHooks hooks = {});

}  // namespace securemark
