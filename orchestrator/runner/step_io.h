// What goes into an execution and what comes back: the artifacts bound to a step's
// inputs, and a host's outputs checked against the plugin's contract before anything is
// stored (declared ports of the declared types, well-formed labels).
#pragma once

#include <functional>
#include <map>
#include <optional>
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

// The plugin whose contract a step's inputs and outputs follow: the step's own, or for a
// multi-party step its first (listening) party's.
const LoadedPlugin& PrimaryPlugin(const pipeline::Instance& instance);

// What keys the cache: the plugin and version, the shown parameters, a keyed digest of the
// secret ones, and the digests of the inputs.
StatusOr<std::string> ExecutionFingerprint(store::Store& store, const pipeline::Instance& instance,
                                           const std::vector<store::EventSpec>& inputs);

store::NewExecution NewExecution(const pipeline::Instance& instance, const std::string& fingerprint,
                                 int64_t run_context, int attempts);

// An earlier execution with this fingerprint whose outputs are all still LIVE with their
// blobs, and those outputs by port; nullopt when there is none.
struct CachedExecution {
  int64_t id = 0;
  ProducedOutputs outputs;
};
StatusOr<std::optional<CachedExecution>> FindUsableCache(store::Store& store,
                                                         const std::string& fingerprint);

// A TASK message with the input bytes: for a multi-party step, those of the parties of
// `role` ("role/port" bindings, or the plain ones for the first party's role).
StatusOr<transport::Message> TaskMessage(store::Store& store, const pipeline::Instance& instance,
                                         int64_t execution, const ResolvedInputs& inputs,
                                         const std::string& role);

// Stages the outputs a RESULT returned, as `prefix` + port (paths "port[i]" for lists);
// appends their events and artifact ids.
Status StageReturnedOutputs(store::Store& store, int64_t execution, const std::string& instance_key,
                            const std::string& prefix, const std::vector<ReturnedOutput>& returned,
                            const transport::Message& result, std::vector<store::EventSpec>& events,
                            ProducedOutputs& produced);

}  // namespace securemark::runner
