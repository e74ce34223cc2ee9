// What a running plugin sees: typed inputs, parameters and outputs, a logger, progress
// reporting and cancellation. The host implements the raw accessors; plugins use the
// typed ones with their port constants.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "securemark/contract.h"
#include "securemark/status.h"

namespace securemark {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Facts about an output the store records as artifact properties and lineage queries can
// find, e.g. {"customer": "17"} on a delivered model.
using Labels = std::map<std::string, std::string>;

// Who a party of a multi-party step is and whom it talks to. The first party of a step
// listens; the others connect to the endpoint it announced. The orchestrator makes fresh
// CURVE keys for every party of every execution and hands each only its own secret.
struct PartyInfo {
  std::string name;  // "server", "owner@3"
  std::string role;  // the party's name in the pipeline: "server", "owner"
  int index = 0;     // among the parties of this role
  int count = 1;
  bool curve = true;       // encrypt and authenticate party traffic
  std::string public_key;  // Z85
  std::string secret_key;
  std::map<std::string, std::string> peers;  // party name -> public key of those it talks to
  std::string bind;       // the listening party: where to bind, e.g. "tcp://10.0.0.2:*"
  std::string connect;    // the others: the endpoint the listening party announced
  std::string state_dir;  // survives retries of this execution: checkpoints go here
};

class Context {
 public:
  virtual ~Context() = default;

  // ---- inputs
  template <typename T>
  StatusOr<T> Get(const Input<T>& port);
  template <typename T>
  StatusOr<std::vector<T>> GetAll(const Input<T>& port);  // for kMany inputs
  template <typename T>
  bool Has(const Input<T>& port) {
    return InputCount(port.name) > 0;
  }
  // How many values a kMany input was given.
  template <typename T>
  size_t Count(const Input<T>& port) {
    return InputCount(port.name);
  }

  // ---- parameters (already validated against the contract, defaults filled in)
  template <typename T>
  T Get(const Param<T>& param) const {
    return std::get<T>(RawParam(param.name));
  }

  // ---- outputs
  // The value of a single output.
  template <typename T>
  Status Set(const Output<T>& port, const T& value, Labels labels = {}) {
    if (port.flags & kMany)
      return FailedPreconditionError("output '" + std::string(port.name) +
                                     "' is a list (Output::Many); append to it with Add");
    return WriteOutput(port.name, T::kTypeName, value.Encode(), port.flags & kSecret,
                       std::move(labels));
  }
  // Appends one value to a list output (Output::Many).
  template <typename T>
  Status Add(const Output<T>& port, const T& value, Labels labels = {}) {
    if (!(port.flags & kMany))
      return FailedPreconditionError("output '" + std::string(port.name) +
                                     "' holds one value; give it with Set");
    return WriteOutput(port.name, T::kTypeName, value.Encode(), port.flags & kSecret,
                       std::move(labels));
  }

  // ---- services
  void Info(std::string_view message) { Log(LogLevel::kInfo, message); }
  void Warn(std::string_view message) { Log(LogLevel::kWarning, message); }
  virtual void Log(LogLevel level, std::string_view message) = 0;
  // `done` of `total` units of work; `what` names the unit ("epoch", "customer").
  virtual void Progress(double done, double total, std::string_view what) = 0;
  // True once the run is cancelled or timed out; long loops should check and return
  // CancelledError.
  virtual bool Cancelled() const = 0;
  // A private scratch directory that lives as long as this execution.
  virtual std::string ScratchDir() = 0;

  // ---- multi-party steps
  // Set when this execution is one party of a multi-party step, else null.
  virtual const PartyInfo* Party() const { return nullptr; }
  // The listening party reports where it can be reached; only then are the others started.
  virtual Status Announce(std::string_view /*endpoint*/) {
    return FailedPreconditionError("this execution is not the listening party of a step");
  }

 protected:
  virtual size_t InputCount(std::string_view port) = 0;
  // The encoded value at `index` of an input port (index 0 for single inputs).
  virtual StatusOr<std::string> ReadInput(std::string_view port, size_t index) = 0;
  virtual const ParamValue& RawParam(std::string_view name) const = 0;
  virtual Status WriteOutput(std::string_view port, std::string_view type, std::string bytes,
                             bool secret, Labels labels) = 0;
};

template <typename T>
StatusOr<T> Context::Get(const Input<T>& port) {
  if (InputCount(port.name) == 0) {
    return NotFoundError("input '" + std::string(port.name) + "' is not connected");
  }
  SM_ASSIGN_OR_RETURN(std::string bytes, ReadInput(port.name, 0));
  StatusOr<T> value = T::Decode(bytes);
  if (!value.ok()) return value.status().WithContext("input '" + std::string(port.name) + "'");
  return value;
}

template <typename T>
StatusOr<std::vector<T>> Context::GetAll(const Input<T>& port) {
  std::vector<T> values;
  const size_t n = InputCount(port.name);
  values.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    SM_ASSIGN_OR_RETURN(std::string bytes, ReadInput(port.name, i));
    StatusOr<T> value = T::Decode(bytes);
    if (!value.ok()) {
      return value.status().WithContext("input '" + std::string(port.name) + "'[" +
                                        std::to_string(i) + "]");
    }
    values.push_back(std::move(value).value());
  }
  return values;
}

}  // namespace securemark
