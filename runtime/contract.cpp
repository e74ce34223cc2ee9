#include "securemark/contract.h"

#include "param_binder.h"
#include "securemark/suggestions.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

namespace securemark {
namespace {

using nlohmann::json;

json ValueToJson(const ParamValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

StatusOr<ParamValue> JsonToValue(ParamType type, const json& j) {
  auto mismatch = [&] {
    return InvalidArgumentError("expected " + std::string(ParamTypeName(type)) + ", got " +
                                j.dump());
  };
  auto as_int = [&](const json& e, int64_t& out) {
    if (e.is_number_integer()) {
      out = e.get<int64_t>();
      return true;
    }
    if (e.is_number_float()) {
      double d = e.get<double>();
      if (std::floor(d) == d && std::abs(d) < 9.2e18) {
        out = static_cast<int64_t>(d);
        return true;
      }
    }
    return false;
  };
  switch (type) {
    case ParamType::kInt: {
      int64_t v;
      if (!as_int(j, v)) return mismatch();
      return ParamValue(v);
    }
    case ParamType::kFloat:
      if (!j.is_number()) return mismatch();
      return ParamValue(j.get<double>());
    case ParamType::kBool:
      if (!j.is_boolean()) return mismatch();
      return ParamValue(j.get<bool>());
    case ParamType::kString:
      if (!j.is_string()) return mismatch();
      return ParamValue(j.get<std::string>());
    case ParamType::kIntList: {
      if (!j.is_array()) return mismatch();
      std::vector<int64_t> out;
      for (const auto& e : j) {
        int64_t v;
        if (!as_int(e, v)) return mismatch();
        out.push_back(v);
      }
      return ParamValue(out);
    }
    case ParamType::kFloatList: {
      if (!j.is_array()) return mismatch();
      std::vector<double> out;
      for (const auto& e : j) {
        if (!e.is_number()) return mismatch();
        out.push_back(e.get<double>());
      }
      return ParamValue(out);
    }
    case ParamType::kStringList: {
      if (!j.is_array()) return mismatch();
      std::vector<std::string> out;
      for (const auto& e : j) {
        if (!e.is_string()) return mismatch();
        out.push_back(e.get<std::string>());
      }
      return ParamValue(out);
    }
  }
  return mismatch();
}

const std::vector<std::pair<ParamType, std::string_view>> kTypeNames = {
    {ParamType::kInt, "int"},
    {ParamType::kFloat, "float"},
    {ParamType::kBool, "bool"},
    {ParamType::kString, "string"},
    {ParamType::kIntList, "int[]"},
    {ParamType::kFloatList, "float[]"},
    {ParamType::kStringList, "string[]"},
};

StatusOr<ParamType> ParamTypeFromName(std::string_view name) {
  for (const auto& [type, n] : kTypeNames) {
    if (n == name) return type;
  }
  return InvalidArgumentError("unknown parameter type '" + std::string(name) + "'");
}

std::string FormatNumber(double d) {
  std::ostringstream os;
  os.precision(15);
  os << d;
  return os.str();
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string_view ParamTypeName(ParamType type) {
  for (const auto& [t, n] : kTypeNames) {
    if (t == type) return n;
  }
  return "?";
}

ParamType TypeOf(const ParamValue& value) {
  static constexpr ParamType kByIndex[] = {
      ParamType::kInt,     ParamType::kFloat,     ParamType::kBool,      ParamType::kString,
      ParamType::kIntList, ParamType::kFloatList, ParamType::kStringList};
  return kByIndex[value.index()];
}

std::string ParamValueToJson(const ParamValue& value) { return ValueToJson(value).dump(); }

std::string ParamValueToText(const ParamValue& value) {
  if (const double* d = std::get_if<double>(&value)) return FormatNumber(*d);
  return ValueToJson(value).dump();
}

StatusOr<ParamValue> ParamSpec::Coerce(const ParamValue& value) const {
  StatusOr<ParamValue> coerced = JsonToValue(type, ValueToJson(value));
  if (!coerced.ok()) return coerced.status().WithContext("parameter '" + name + "'");
  SM_RETURN_IF_ERROR(Check(*coerced));
  return coerced;
}

Status ParamSpec::Check(const ParamValue& value) const {
  if (TypeOf(value) != type) {
    return InvalidArgumentError(
        "parameter '" + name + "' expects " + std::string(ParamTypeName(type)) + ", got " +
        std::string(ParamTypeName(TypeOf(value))) + " " + ParamValueToText(value));
  }
  if (range) {
    auto check = [&](double v) -> Status {
      if (std::isnan(v) || v < range->min || v > range->max) {
        return OutOfRangeError("parameter '" + name + "' = " + FormatNumber(v) + " is outside [" +
                               FormatNumber(range->min) + ", " + FormatNumber(range->max) + "]");
      }
      return OkStatus();
    };
    if (auto* i = std::get_if<int64_t>(&value)) SM_RETURN_IF_ERROR(check(static_cast<double>(*i)));
    if (auto* d = std::get_if<double>(&value)) SM_RETURN_IF_ERROR(check(*d));
    if (auto* il = std::get_if<std::vector<int64_t>>(&value)) {
      for (int64_t i : *il) SM_RETURN_IF_ERROR(check(static_cast<double>(i)));
    }
    if (auto* dl = std::get_if<std::vector<double>>(&value)) {
      for (double d : *dl) SM_RETURN_IF_ERROR(check(d));
    }
  }
  if (!choices.empty()) {
    const std::string* s = std::get_if<std::string>(&value);
    if (s && std::find(choices.begin(), choices.end(), *s) == choices.end()) {
      std::string allowed;
      for (const auto& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
      return InvalidArgumentError("parameter '" + name + "' = \"" + *s + "\" is not one of " +
                                  allowed);
    }
  }
  return OkStatus();
}

StatusOr<ParamValue> ParamSpec::Parse(std::string_view text) const {
  json j;
  switch (type) {
    case ParamType::kString:
      j = std::string(text);
      break;
    case ParamType::kStringList:
      if (!text.empty() && text.front() == '[') {
        j = json::parse(text, nullptr, false);
      } else {
        j = json::array();
        std::string item;
        std::istringstream in{std::string(text)};
        while (std::getline(in, item, ',')) j.push_back(item);
      }
      break;
    case ParamType::kIntList:
    case ParamType::kFloatList:
      if (!text.empty() && text.front() == '[') {
        j = json::parse(text, nullptr, false);
      } else {
        j = json::parse("[" + std::string(text) + "]", nullptr, false);
      }
      break;
    default:
      j = json::parse(text, nullptr, false);
  }
  if (j.is_discarded()) {
    return InvalidArgumentError("parameter '" + name + "' expects " +
                                std::string(ParamTypeName(type)) + ", got \"" + std::string(text) +
                                "\"");
  }
  StatusOr<ParamValue> value = JsonToValue(type, j);
  if (!value.ok()) return value.status().WithContext("parameter '" + name + "'");
  SM_RETURN_IF_ERROR(Check(*value));
  return value;
}

StatusOr<ParamValue> ParamSpec::FromJson(std::string_view json_text) const {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return InvalidArgumentError("parameter '" + name + "': invalid JSON");
  StatusOr<ParamValue> value = JsonToValue(type, j);
  if (!value.ok()) return value.status().WithContext("parameter '" + name + "'");
  SM_RETURN_IF_ERROR(Check(*value));
  return value;
}

const PortSpec* Contract::FindInput(std::string_view name) const {
  for (const auto& p : inputs_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PortSpec* Contract::FindOutput(std::string_view name) const {
  for (const auto& p : outputs_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ParamSpec* Contract::FindParam(std::string_view name) const {
  for (const auto& p : params_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

StatusOr<ParamMap> Contract::ResolveParams(const ParamMap& given) const {
  std::vector<std::string> errors;
  std::vector<std::string> known;
  for (const auto& p : params_) known.push_back(p.name);
  ParamMap resolved;
  for (const auto& [name, value] : given) {
    const ParamSpec* spec = FindParam(name);
    if (spec == nullptr) {
      errors.push_back("unknown parameter '" + name + "'" + DidYouMean(name, known));
      continue;
    }
    StatusOr<ParamValue> coerced = spec->Coerce(value);
    if (!coerced.ok()) {
      errors.push_back(coerced.status().message());
      continue;
    }
    resolved[name] = *std::move(coerced);
  }
  for (const auto& spec : params_) {
    if (resolved.count(spec.name) || given.count(spec.name)) continue;
    if (spec.default_value) {
      resolved[spec.name] = *spec.default_value;
    } else {
      errors.push_back("required parameter '" + spec.name + "' is not set");
    }
  }
  if (!errors.empty()) {
    std::string msg = name_.empty() ? "" : name_ + ": ";
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
    return InvalidArgumentError(msg);
  }
  return resolved;
}

StatusOr<ParamMap> Contract::ParamsFromJson(std::string_view json_object) const {
  ParamBinder binder(*this);
  binder.BindJsonObject(json_object);
  return binder.Finish();
}

std::string Contract::ToJson() const {
  auto ports = [](const std::vector<PortSpec>& list) {
    json out = json::array();
    for (const auto& p : list) {
      out.push_back({{"name", p.name},
                     {"type", p.type},
                     {"doc", p.doc},
                     {"optional", p.optional()},
                     {"many", p.many()},
                     {"secret", p.secret()}});
    }
    return out;
  };
  json params = json::array();
  for (const auto& p : params_) {
    json j = {{"name", p.name}, {"type", ParamTypeName(p.type)}, {"doc", p.doc}};
    j["required"] = !p.default_value.has_value();
    if (p.default_value) j["default"] = ValueToJson(*p.default_value);
    if (p.range) j["range"] = {p.range->min, p.range->max};
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (p.secret) j["secret"] = true;
    if (p.fresh_by_default) j["fresh_by_default"] = true;
    params.push_back(j);
  }
  json j = {{"name", name_},   {"role", role()},           {"version", version_},
            {"doc", doc_},     {"inputs", ports(inputs_)}, {"outputs", ports(outputs_)},
            {"params", params}};
  return j.dump();
}

StatusOr<Contract> Contract::FromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("contract is not a JSON object");
  try {
    Contract c;
    c.name_ = j.at("name").get<std::string>();
    c.version_ = j.at("version").get<std::string>();
    c.doc_ = j.at("doc").get<std::string>();
    auto ports = [](const json& list, std::vector<PortSpec>& out) {
      for (const auto& p : list) {
        unsigned flags = kNone;
        if (p.value("optional", false)) flags |= kOptional;
        if (p.value("many", false)) flags |= kMany;
        if (p.value("secret", false)) flags |= kSecret;
        out.push_back({p.at("name").get<std::string>(), p.at("type").get<std::string>(),
                       p.value("doc", ""), flags});
      }
    };
    ports(j.at("inputs"), c.inputs_);
    ports(j.at("outputs"), c.outputs_);
    for (const auto& p : j.at("params")) {
      ParamSpec spec;
      spec.name = p.at("name").get<std::string>();
      SM_ASSIGN_OR_RETURN(spec.type, ParamTypeFromName(p.at("type").get<std::string>()));
      spec.doc = p.value("doc", "");
      if (p.contains("default")) {
        SM_ASSIGN_OR_RETURN(ParamValue v, JsonToValue(spec.type, p.at("default")));
        spec.default_value = std::move(v);
      }
      if (p.contains("range")) {
        spec.range = Range{p.at("range").at(0).get<double>(), p.at("range").at(1).get<double>()};
      }
      if (p.contains("choices")) spec.choices = p.at("choices").get<std::vector<std::string>>();
      spec.secret = p.value("secret", false);
      spec.fresh_by_default = p.value("fresh_by_default", false);
      c.params_.push_back(std::move(spec));
    }
    return c;
  } catch (const json::exception& e) {
    return DataLossError(std::string("malformed contract JSON: ") + e.what());
  }
}

ParamValue Contract::DefaultFromText(ParamType type, const char* text) {
  if (type == ParamType::kString) return ParamValue(std::string(text));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) j = json::array();
  StatusOr<ParamValue> v = JsonToValue(type, j);
  if (v.ok()) return *v;
  // A malformed list default is a plugin bug; an empty list keeps the contract usable.
  switch (type) {
    case ParamType::kIntList:
      return ParamValue(std::vector<int64_t>{});
    case ParamType::kFloatList:
      return ParamValue(std::vector<double>{});
    default:
      return ParamValue(std::vector<std::string>{});
  }
}

std::vector<std::string> Contract::SplitChoices(const char* options) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in{std::string(options)};
  while (std::getline(in, item, '|')) out.push_back(item);
  return out;
}

std::vector<std::string> ClosestNames(std::string_view word, const std::vector<std::string>& known,
                                      size_t max_results) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& k : known) {
    size_t d = EditDistance(word, k);
    // A suggestion is useful only when it is closer than rewriting the whole word, or
    // when one name contains the other ("idx" for "dataset.idx").
    bool contains = k.find(word) != std::string::npos || word.find(k) != std::string_view::npos;
    if (d <= std::max<size_t>(2, word.size() / 2) || (contains && !word.empty())) {
      scored.emplace_back(contains ? std::min(d, size_t{1}) : d, k);
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < max_results; ++i) out.push_back(scored[i].second);
  return out;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& known,
                       size_t max_results) {
  const std::vector<std::string> close = ClosestNames(word, known, max_results);
  if (close.empty()) return "";
  std::string out = "; did you mean ";
  for (size_t i = 0; i < close.size(); ++i) {
    if (i > 0) out += i + 1 == close.size() ? " or " : ", ";
    out += "'" + close[i] + "'";
  }
  return out + "?";
}

}  // namespace securemark
