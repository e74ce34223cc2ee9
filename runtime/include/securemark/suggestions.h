// The one way every error message suggests a name: "; did you mean 'x'?".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace securemark {

// "; did you mean 'a'?" (or "'a', 'b' or 'c'" for up to `max_results` names) with the
// names in `known` closest to `word`, or "" when none is close (contract.h ClosestNames).
std::string DidYouMean(std::string_view word, const std::vector<std::string>& known,
                       size_t max_results = 1);

}  // namespace securemark
