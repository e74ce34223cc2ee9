// What goes into an execution and what comes back: the artifacts bound to a step's
// inputs, and a host's outputs checked against the plugin's contract before anything is
// stored (declared ports of the declared types, well-formed labels).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/plan.h"

#include "securemark/contract.h"
#include "securemark/status.h"
#include "store.h"
#include "transport/messages.h"

namespace securemark::runner {

struct ReturnedOutput {
  std::string port;
  const PortSpec* spec = nullptr;
  bool secret = false;
  store::Properties labels;
  size_t payload = 0;  // index into the message's payloads
};

// Artifact ids per output port ("port", "owner@3/port") of a finished instance.
using ProducedOutputs = std::map<std::string, std::vector<int64_t>>;

struct ResolvedInputs {
  std::vector<store::EventSpec> events;                    // path "port" or "port[i]"
  std::vector<std::pair<std::string, std::string>> types;  // per event: port, type
};

// The input port a binding names: "port" of the step's plugin (of a multi-party step, its
// first party's), or "role/port" of the parties of that role; null when there is none.
const PortSpec* BoundInputPort(const pipeline::Instance& instance, const std::string& binding);

// Inputs in binding order; `outputs_of` gives what an upstream instance produced.
StatusOr<ResolvedInputs> ResolveInputs(
    const pipeline::Instance& instance,
    const std::function<const ProducedOutputs&(const std::string&)>& outputs_of);

// Every "artifact:ID" input of the plan names a LIVE artifact of the port's type; all
// problems at once, before anything runs.
Status CheckStoredInputs(const pipeline::Plan& plan, store::Store& store);

StatusOr<std::vector<ReturnedOutput>> ReadReturnedOutputs(const Contract& contract,
                                                          const transport::Message& result);

}  // namespace securemark::runner
