// Unit tests for a node, without a host or a plugin library: the node runs in this
// process exactly as a host would run it (parameters bound against its contract with
// defaults and checks, inputs checked, Open/Process/Close, outputs checked), with typed
// access through the node's own port and parameter constants.
//
//   securemark::NodeTest<LabelCount> t;
//   t.Set(LabelCount::kMinimum, 2).Give(LabelCount::kData, dataset);
//   ASSERT_TRUE(t.Run().ok());
//   StatusOr<JsonDocument> counts = t.Get(LabelCount::kCounts);
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "securemark/local_context.h"

namespace securemark {

template <typename N>
class NodeTest {
 public:
  NodeTest() : contract_(N::GetContract()) { contract_.set_name("node under test"); }

  template <typename T, typename V>
  NodeTest& Set(const Param<T>& param, V&& value) {
    params_[param.name] = ParamValue(T(std::forward<V>(value)));
    return *this;
  }
  // One value of an input (for a list input, appends one).
  template <typename T>
  NodeTest& Give(const Input<T>& port, const T& value) {
    inputs_[port.name].push_back({std::string(T::kTypeName), value.Encode(), false});
    return *this;
  }
  // Runs the node as one party of a multi-party step.
  NodeTest& AsParty(PartyInfo party) {
    hooks_.party = std::move(party);
    return *this;
  }

  // Runs a fresh node; errors (and exceptions, as a host would report them) come back here.
  Status Run() {
    outputs_.clear();
    log_.clear();
    hooks_.log = [this](LogLevel, std::string_view message) { log_.emplace_back(message); };
    try {
      N node;
      StatusOr<std::vector<OutputValue>> out =
          RunNodeWith(contract_, node, params_, inputs_, hooks_);
      if (!out.ok()) return out.status();
      outputs_ = std::move(out).value();
      return OkStatus();
    } catch (const std::exception& e) {
      return InternalError(std::string("plugin threw an exception: ") + e.what());
    }
  }

  // The value at `index` of an output (index 0 for single outputs), decoded.
  template <typename T>
  StatusOr<T> Get(const Output<T>& port, size_t index = 0) const {
    for (const OutputValue& o : outputs_) {
      if (o.port == port.name && o.index == index) return T::Decode(o.value.bytes);
    }
    return NotFoundError("output '" + std::string(port.name) + "'[" + std::to_string(index) +
                         "] was not set");
  }
  template <typename T>
  size_t Count(const Output<T>& port) const {
    size_t n = 0;
    for (const OutputValue& o : outputs_) n += o.port == port.name;
    return n;
  }
  // What the node logged in its last run, one line per message.
  const std::vector<std::string>& log() const { return log_; }
  const Contract& contract() const { return contract_; }

 private:
  Contract contract_;
  ParamMap params_;
  InputValues inputs_;
  ExecutionHooks hooks_;
  std::vector<OutputValue> outputs_;
  std::vector<std::string> log_;
};

}  // namespace securemark
