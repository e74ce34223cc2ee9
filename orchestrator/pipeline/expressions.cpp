#include "pipeline/expressions.h"

#include "securemark/contract.h"
#include "securemark/suggestions.h"

namespace securemark::pipeline {
namespace {

using nlohmann::json;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

StatusOr<json> Evaluate(const std::string& expression, const Scope& scope) {
  const std::string e = Trim(expression);
  if (e.rfind("params.", 0) == 0) {
    const std::string name = e.substr(7);
    if (scope.params != nullptr && scope.params->contains(name)) return scope.params->at(name);
    std::vector<std::string> known;
    if (scope.params != nullptr) {
      for (const auto& [k, v] : scope.params->items()) known.push_back(k);
    }
    return InvalidArgumentError("unknown pipeline parameter '" + name + "'" +
                                DidYouMean(name, known));
  }
  if (e == "item" || e.rfind("item.", 0) == 0) {
    if (scope.item == nullptr)
      return InvalidArgumentError("${{ item }} is only defined inside a foreach step");
    if (e == "item") return *scope.item;
    const std::string field = e.substr(5);
    if (!scope.item->is_object() || !scope.item->contains(field)) {
      return InvalidArgumentError("the foreach item has no field '" + field + "'");
    }
    return scope.item->at(field);
  }
  if (e.rfind("party.", 0) == 0) {
    if (scope.party == nullptr)
      return InvalidArgumentError("${{ " + e + " }} is only defined in a party's parameters");
    const std::string field = e.substr(6);
    if (!scope.party->contains(field))
      return InvalidArgumentError("unknown party field '" + field +
                                  "'; expected index, count or name");
    return scope.party->at(field);
  }
  if (e.rfind("range(", 0) == 0 && e.back() == ')') {
    const std::string arg = Trim(e.substr(6, e.size() - 7));
    json n;
    if (arg.rfind("params.", 0) == 0) {
      SM_ASSIGN_OR_RETURN(n, Evaluate(arg, scope));
    } else {
      n = json::parse(arg, nullptr, false);
    }
    if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > 1000000) {
      // Name the value, not only the expression: "got params.owners" says nothing.
      const std::string value = n.is_discarded() ? arg : n.dump();
      return InvalidArgumentError("range() needs an integer in [0, 1000000], got " +
                                  (value == arg ? arg : arg + " = " + value.substr(0, 80)));
    }
    json out = json::array();
    for (int64_t i = 0; i < n.get<int64_t>(); ++i) out.push_back(i);
    return out;
  }
  return InvalidArgumentError(
      "unknown expression '${{ " + e +
      " }}'; expected params.NAME, item, item.FIELD, party.index or range(N)");
}

StatusOr<json> ResolveString(const std::string& s, const Scope& scope) {
  size_t start = s.find("${{");
  if (start == std::string::npos) return json(s);
  std::string out;
  size_t pos = 0;
  while (start != std::string::npos) {
    size_t end = s.find("}}", start);
    if (end == std::string::npos)
      return InvalidArgumentError("unterminated '${{' in \"" + s + "\"");
    SM_ASSIGN_OR_RETURN(json value, Evaluate(s.substr(start + 3, end - start - 3), scope));
    if (start == 0 && end + 2 == s.size()) return value;  // the whole string: keep the type
    out += s.substr(pos, start - pos);
    out += value.is_string() ? value.get<std::string>()
                             : value.dump(-1, ' ', false, json::error_handler_t::replace);
    pos = end + 2;
    start = s.find("${{", pos);
  }
  return json(out + s.substr(pos));
}

}  // namespace

StatusOr<json> Resolve(const json& value, const Scope& scope) {
  if (value.is_string()) return ResolveString(value.get<std::string>(), scope);
  if (value.is_array()) {
    json out = json::array();
    for (const auto& e : value) {
      SM_ASSIGN_OR_RETURN(json r, Resolve(e, scope));
      out.push_back(std::move(r));
    }
    return out;
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : value.items()) {
      SM_ASSIGN_OR_RETURN(out[k], Resolve(v, scope));
    }
    return out;
  }
  return value;
}

StatusOr<std::vector<json>> ForeachItems(const json& value, const Scope& scope) {
  SM_ASSIGN_OR_RETURN(json items, Resolve(value, scope));
  if (!items.is_array()) {
    return InvalidArgumentError("foreach must give a list, got " +
                                items.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return std::vector<json>(items.begin(), items.end());
}

std::string ItemKey(const json& item) {
  if (item.is_string()) return item.get<std::string>();
  if (item.is_object() && item.contains("name") && item["name"].is_string()) {
    return item["name"].get<std::string>();
  }
  return item.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool HasExpression(const json& value) {
  if (value.is_string()) return value.get<std::string>().find("${{") != std::string::npos;
  if (value.is_array() || value.is_object()) {
    for (const auto& e : value) {
      if (HasExpression(e)) return true;
    }
  }
  return false;
}

}  // namespace securemark::pipeline
