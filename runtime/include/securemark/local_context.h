// A Context whose inputs and outputs are encoded values held in memory. The plugin host
// runs every execution through one; securemark/testing.h runs nodes in one for unit tests.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "securemark/context.h"
#include "securemark/node.h"

namespace securemark {

struct EncodedValue {
  std::string type;
  std::string bytes;
  bool secret = false;
};

// Inputs by port name; single inputs hold exactly one value.
using InputValues = std::map<std::string, std::vector<EncodedValue>, std::less<>>;

struct OutputValue {
  std::string port;
  size_t index = 0;  // position within a kMany output
  EncodedValue value;
  Labels labels;
};

struct ExecutionHooks {
  std::function<void(LogLevel, std::string_view)> log;
  std::function<void(double done, double total, std::string_view what)> progress;
  const std::atomic<bool>* cancelled = nullptr;
  std::string scratch_dir;  // created on first use when empty
  // Multi-party steps only: who this party is, and how it announces its endpoint.
  std::optional<PartyInfo> party;
  std::function<Status(std::string_view endpoint)> announce;
};

class LocalContext : public Context {
 public:
  LocalContext(const Contract& contract, ParamMap params, InputValues inputs, ExecutionHooks hooks);
  ~LocalContext() override;

  void Log(LogLevel level, std::string_view message) override;
  void Progress(double done, double total, std::string_view what) override;
  bool Cancelled() const override;
  std::string ScratchDir() override;
  const PartyInfo* Party() const override;
  Status Announce(std::string_view endpoint) override;

  // Every non-kMany output must be set exactly once.
  Status CheckOutputsComplete() const;
  std::vector<OutputValue> TakeOutputs() { return std::move(outputs_); }

 protected:
  size_t InputCount(std::string_view port) override;
  StatusOr<std::string> ReadInput(std::string_view port, size_t index) override;
  const ParamValue& RawParam(std::string_view name) const override;
  Status WriteOutput(std::string_view port, std::string_view type, std::string bytes, bool secret,
                     Labels labels) override;

 private:
  const Contract& contract_;
  ParamMap params_;
  InputValues inputs_;
  ExecutionHooks hooks_;
  std::vector<OutputValue> outputs_;
  std::string scratch_dir_;
  bool owns_scratch_dir_ = false;
};

// Checks inputs against the contract: known ports, required ones present, one value for
// single ports, declared types. Reports every problem at once.
Status CheckInputs(const Contract& contract, const InputValues& inputs);

// The first value a run wrote to `port`, or null.
const OutputValue* FindOutput(const std::vector<OutputValue>& outputs, std::string_view port);

// One execution as a host runs it: binds `params` against the contract (defaults filled,
// values checked), checks the inputs, then Open, Process and Close on `node` (a Node, or
// anything with those three calls), and checks that every required output was set.
template <typename NodeLike>
StatusOr<std::vector<OutputValue>> RunNodeWith(const Contract& contract, NodeLike& node,
                                               const ParamMap& params, InputValues inputs,
                                               ExecutionHooks hooks = {}) {
  SM_ASSIGN_OR_RETURN(ParamMap resolved, contract.ResolveParams(params));
  SM_RETURN_IF_ERROR(CheckInputs(contract, inputs));
  LocalContext ctx(contract, std::move(resolved), std::move(inputs), std::move(hooks));
  SM_RETURN_IF_ERROR(node.Open(ctx));
  Status processed = node.Process(ctx);
  Status closed = node.Close(ctx);
  SM_RETURN_IF_ERROR(processed);
  SM_RETURN_IF_ERROR(closed);
  SM_RETURN_IF_ERROR(ctx.CheckOutputsComplete());
  return ctx.TakeOutputs();
}

}  // namespace securemark
