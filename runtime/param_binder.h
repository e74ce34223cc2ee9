// The one way parameter values are bound to a contract, whoever gives them: a pipeline's
// `with` (JSON values, each at a file:line:col), `securemark exec --with KEY=VALUE` (text
// as typed), or the orchestrator's JSON object sent to a plugin host. Every problem is
// collected with the source it came from, so that the caller can say where it is; unknown
// names get the closest known one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "securemark/contract.h"

namespace securemark {

class ParamBinder {
 public:
  static constexpr size_t kNoSource = static_cast<size_t>(-1);
  struct Problem {
    size_t source;  // what the caller passed with the value; kNoSource for the contract's own
    std::string message;
  };

  explicit ParamBinder(const Contract& contract) : contract_(contract) {}

  // A value as JSON text ("3", "\"conv2\"", "[1, 2]").
  void BindJson(const std::string& name, std::string_view json, size_t source = kNoSource);
  // A value as a user typed it (3, conv2, [1, 2]).
  void BindText(const std::string& name, std::string_view text, size_t source = kNoSource);
  // Every name of a JSON object, as BindJson; a text that is not an object is a problem.
  void BindJsonObject(std::string_view object, size_t source = kNoSource);

  // The bound values with every default filled in, once no problem was found; otherwise
  // the problems (problems() lists them with their sources) joined into one message.
  StatusOr<ParamMap> Finish();
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  void Bind(const std::string& name,
            StatusOr<ParamValue> (ParamSpec::*convert)(std::string_view) const,
            std::string_view value, size_t source);

  const Contract& contract_;
  ParamMap given_;
  std::vector<Problem> problems_;
};

}  // namespace securemark
