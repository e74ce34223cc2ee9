#include "exec/local_context.h"

namespace securemark {

StatusOr<std::vector<OutputValue>> RunNode(const LoadedPlugin& plugin, const ParamMap& params,
                                           InputValues inputs, ExecutionHooks hooks) {
  SM_ASSIGN_OR_RETURN(std::unique_ptr<NodeInstance> node, plugin.Create());
  return RunNodeWith(plugin.contract(), *node, params, std::move(inputs), std::move(hooks));
}

}  // namespace securemark
