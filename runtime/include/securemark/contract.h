// A plugin's contract: typed input and output ports and typed parameters, declared as
// constants on the plugin class and gathered into one Contract:
//
//   static constexpr Input<Dataset> kData{"data", "Examples to split."};
//   static constexpr auto kShards = Output<Dataset>::Many("shards", "One dataset per shard.");
//   static constexpr Param<int64_t> kCount{"count", 4, "Number of shards.", Range{1, 4096}};
//   static Contract GetContract() {
//     return Contract::Build("1.0.0", "Splits a dataset.", kData, kShards, kCount);
//   }
//
// The contract is introspectable without running the plugin and is what pipelines are
// validated against before anything runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "securemark/status.h"

namespace securemark {

// ---------------------------------------------------------------- parameter values

enum class ParamType { kInt, kFloat, kBool, kString, kIntList, kFloatList, kStringList };
std::string_view ParamTypeName(ParamType type);

using ParamValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>,
                                std::vector<double>, std::vector<std::string>>;

ParamType TypeOf(const ParamValue& value);
std::string ParamValueToJson(const ParamValue& value);  // compact JSON text
std::string ParamValueToText(const ParamValue& value);  // for messages: 3, 0.5, "x", [1,2]

template <typename T>
struct ParamTraits;
template <>
struct ParamTraits<int64_t> {
  static constexpr ParamType kType = ParamType::kInt;
  using Stored = int64_t;
};
template <>
struct ParamTraits<double> {
  static constexpr ParamType kType = ParamType::kFloat;
  using Stored = double;
};
template <>
struct ParamTraits<bool> {
  static constexpr ParamType kType = ParamType::kBool;
  using Stored = bool;
};
template <>
struct ParamTraits<std::string> {
  static constexpr ParamType kType = ParamType::kString;
  using Stored = const char*;
};
// List defaults are written as JSON text, e.g. "[1, 2, 3]".
template <>
struct ParamTraits<std::vector<int64_t>> {
  static constexpr ParamType kType = ParamType::kIntList;
  using Stored = const char*;
};
template <>
struct ParamTraits<std::vector<double>> {
  static constexpr ParamType kType = ParamType::kFloatList;
  using Stored = const char*;
};
template <>
struct ParamTraits<std::vector<std::string>> {
  static constexpr ParamType kType = ParamType::kStringList;
  using Stored = const char*;
};

// Inclusive bounds on a numeric parameter (or on every element of a numeric list).
struct Range {
  double min;
  double max;
};

// The allowed values of a string parameter, separated by '|': Choices{"iid|dirichlet"}.
struct Choices {
  const char* options;
};

// ---------------------------------------------------------------- port constants

enum PortFlags : unsigned {
  kNone = 0,
  kOptional = 1u << 0,  // input: may be left unconnected; output: may be left unset
  kMany = 1u << 1,      // input: a fan-in list; output: any number of values
  kSecret = 1u << 2,    // output: stored 0600, never delivered to a customer
};

template <typename T>
struct Input {
  const char* name;
  const char* doc;
  unsigned flags = kNone;
};

template <typename T>
struct Output {
  const char* name;
  const char* doc;
  unsigned flags = kNone;

  // A list output: any number of values, each appended with Context::Add.
  static constexpr Output Many(const char* name, const char* doc, unsigned flags = kNone) {
    return Output{name, doc, flags | kMany};
  }
};

template <typename T>
struct Param {
  using Stored = typename ParamTraits<T>::Stored;

  constexpr Param(const char* name, Stored default_value, const char* doc)
      : name(name), default_value(default_value), doc(doc) {}
  constexpr Param(const char* name, Stored default_value, const char* doc, Range range)
      : name(name), default_value(default_value), doc(doc), has_range(true), range(range) {}
  constexpr Param(const char* name, Stored default_value, const char* doc, Choices choices)
      : name(name), default_value(default_value), doc(doc), choices(choices.options) {}

  // A parameter the pipeline must set; it has no default.
  static constexpr Param Required(const char* name, const char* doc) {
    Param p(name, Stored{}, doc);
    p.required = true;
    return p;
  }
  static constexpr Param Required(const char* name, const char* doc, Range range) {
    Param p(name, Stored{}, doc, range);
    p.required = true;
    return p;
  }
  // A parameter whose value is itself secret (an explicit seed of secret material): the
  // store records only that it was given, and caches by a keyed digest of it.
  static constexpr Param Secret(const char* name, Stored default_value, const char* doc,
                                Range range) {
    Param p(name, default_value, doc, range);
    p.secret = true;
    return p;
  }
  // A secret parameter whose default draws fresh secrets from the operating system: the
  // step's outputs then belong to that step of that pipeline (see pipeline/secret_params.h).
  static constexpr Param FreshSecret(const char* name, Stored default_value, const char* doc,
                                     Range range) {
    Param p = Secret(name, default_value, doc, range);
    p.fresh_by_default = true;
    return p;
  }

  const char* name;
  Stored default_value;
  const char* doc;
  bool has_range = false;
  Range range{0, 0};
  const char* choices = nullptr;
  bool required = false;
  bool secret = false;
  bool fresh_by_default = false;
};

// ---------------------------------------------------------------- runtime contract

struct PortSpec {
  std::string name;
  std::string type;  // value type name, e.g. "Dataset"
  std::string doc;
  unsigned flags = kNone;

  bool optional() const { return flags & kOptional; }
  bool many() const { return flags & kMany; }
  bool secret() const { return flags & kSecret; }
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kInt;
  std::string doc;
  std::optional<ParamValue> default_value;  // empty when required
  std::optional<Range> range;
  std::vector<std::string> choices;
  bool secret = false;            // never shown or stored in the clear
  bool fresh_by_default = false;  // its default draws fresh secrets

  // OK when `value` has the right type and lies in range / among the choices.
  // An int given for a float parameter is accepted and widened by Coerce().
  Status Check(const ParamValue& value) const;
  StatusOr<ParamValue> Coerce(const ParamValue& value) const;
  // Parses command-line text ("3", "0.5", "true", "a,b", "[1,2]") as this parameter.
  StatusOr<ParamValue> Parse(std::string_view text) const;
  // Converts a JSON value (as written in a pipeline) to this parameter and checks it.
  StatusOr<ParamValue> FromJson(std::string_view json_text) const;
};

using ParamMap = std::map<std::string, ParamValue, std::less<>>;

class Contract {
 public:
  template <typename... Ports>
  static Contract Build(std::string version, std::string doc, const Ports&... ports) {
    Contract c;
    c.version_ = std::move(version);
    c.doc_ = std::move(doc);
    (c.Add(ports), ...);
    return c;
  }

  const std::string& name() const { return name_; }  // "role.name", set at registration
  std::string role() const { return name_.substr(0, name_.find('.')); }
  const std::string& version() const { return version_; }
  const std::string& doc() const { return doc_; }
  const std::vector<PortSpec>& inputs() const { return inputs_; }
  const std::vector<PortSpec>& outputs() const { return outputs_; }
  const std::vector<ParamSpec>& params() const { return params_; }

  const PortSpec* FindInput(std::string_view name) const;
  const PortSpec* FindOutput(std::string_view name) const;
  const ParamSpec* FindParam(std::string_view name) const;

  // Checks given parameters and fills in defaults. Reports every problem at once:
  // unknown names (with the closest known one), wrong types, out of range, missing.
  StatusOr<ParamMap> ResolveParams(const ParamMap& given) const;

  // Converts a JSON object of parameter values (as sent to a host) and resolves it;
  // every problem is reported at once, unknown names with the closest known one.
  StatusOr<ParamMap> ParamsFromJson(std::string_view json_object) const;

  std::string ToJson() const;
  static StatusOr<Contract> FromJson(std::string_view json);

  void set_name(std::string name) { name_ = std::move(name); }

 private:
  template <typename T>
  void Add(const Input<T>& port) {
    inputs_.push_back({port.name, std::string(T::kTypeName), port.doc, port.flags});
  }
  template <typename T>
  void Add(const Output<T>& port) {
    outputs_.push_back({port.name, std::string(T::kTypeName), port.doc, port.flags});
  }
  template <typename T>
  void Add(const Param<T>& param) {
    ParamSpec spec;
    spec.name = param.name;
    spec.type = ParamTraits<T>::kType;
    spec.doc = param.doc;
    if (param.has_range) spec.range = param.range;
    if (param.choices != nullptr) spec.choices = SplitChoices(param.choices);
    if (!param.required) spec.default_value = DefaultValue<T>(param.default_value);
    spec.secret = param.secret;
    spec.fresh_by_default = param.fresh_by_default;
    params_.push_back(std::move(spec));
  }

  template <typename T>
  static ParamValue DefaultValue(typename ParamTraits<T>::Stored stored) {
    if constexpr (std::is_same_v<typename ParamTraits<T>::Stored, const char*>) {
      return DefaultFromText(ParamTraits<T>::kType, stored == nullptr ? "" : stored);
    } else {
      return ParamValue(stored);
    }
  }
  static ParamValue DefaultFromText(ParamType type, const char* text);
  static std::vector<std::string> SplitChoices(const char* options);

  std::string name_;
  std::string version_;
  std::string doc_;
  std::vector<PortSpec> inputs_;
  std::vector<PortSpec> outputs_;
  std::vector<ParamSpec> params_;
};

// Closest candidates to `word` by edit distance, best first (for "did you mean").
std::vector<std::string> ClosestNames(std::string_view word, const std::vector<std::string>& known,
                                      size_t max_results = 3);

}  // namespace securemark
