// ${{ ... }} expressions in pipeline values:
//   ${{ params.NAME }}   a pipeline parameter (after --set overrides)
//   ${{ item }}          the current foreach item (${{ item.FIELD }} for mapping items)
//   ${{ range(N) }}      0..N-1, for foreach; N is a number or params.NAME
//   ${{ party.index }}   in a party's `with`: its position among parties of its role
//                        (also party.count, party.name)
// A string that is exactly one expression takes the expression's value and type; an
// expression inside longer text is interpolated as text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "securemark/status.h"

namespace securemark::pipeline {

struct Scope {
  const nlohmann::json* params = nullptr;  // object
  const nlohmann::json* item = nullptr;    // null outside foreach
  const nlohmann::json* party = nullptr;   // {name, index, count} in a party's parameters
};

StatusOr<nlohmann::json> Resolve(const nlohmann::json& value, const Scope& scope);

// The items a foreach iterates over: a list (elements resolved), or an expression giving a
// list or range(N).
StatusOr<std::vector<nlohmann::json>> ForeachItems(const nlohmann::json& value, const Scope& scope);

// The text an item contributes to an instance name: "step@<key>".
std::string ItemKey(const nlohmann::json& item);

bool HasExpression(const nlohmann::json& value);

}  // namespace securemark::pipeline
