// How evaluation reports write a rate: value, 95% interval and the counts behind it.
#pragma once

#include <nlohmann/json.hpp>

#include "codes/collusion.h"

namespace securemark::evaluate {

inline nlohmann::json RateJson(const codes::Rate& r) {
  return {{"value", r.value},
          {"low", r.low},
          {"high", r.high},
          {"count", r.successes},
          {"of", r.total}};
}

}  // namespace securemark::evaluate
