#include "pipeline/quantities.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

namespace securemark::pipeline {
namespace {

// A whole number made only of digits (no sign, no spaces), bounded so that sums of a
// few of them cannot overflow.
std::optional<int64_t> Digits(const std::string& s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<double> PositiveNumber(const std::string& s) {
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
    return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0 || v > 1e12) return std::nullopt;
  return v;
}

std::optional<int64_t> CeilPositive(double v) {
  if (!std::isfinite(v) || v <= 0 || v > 1e12) return std::nullopt;
  return static_cast<int64_t>(std::ceil(v));
}

// A positive number with an optional unit letter at its end; scale_of gives a unit's
// factor, 0 for a character that is no unit (the number then stands as written).
template <typename ScaleOf>
std::optional<int64_t> ScaledBySuffix(std::string text, ScaleOf scale_of) {
  if (text.empty()) return std::nullopt;
  double scale = scale_of(text.back());
  if (scale != 0)
    text.pop_back();
  else
    scale = 1;
  auto v = PositiveNumber(text);
  if (!v) return std::nullopt;
  return CeilPositive(*v * scale);
}

// "[D-]HH:MM:SS", "MM:SS": Slurm's clock forms.
std::optional<int64_t> ClockSeconds(const std::string& text) {
  std::string rest = text;
  int64_t days = 0;
  if (auto dash = rest.find('-'); dash != std::string::npos) {
    auto d = Digits(rest.substr(0, dash));
    if (!d) return std::nullopt;
    days = *d;
    rest = rest.substr(dash + 1);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = rest.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(rest.substr(start, colon - start));
  parts.push_back(rest.substr(start));
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  int64_t seconds = 0;
  for (const std::string& p : parts) {
    auto n = Digits(p);
    if (!n || (*n >= 60 && &p != &parts.front())) return std::nullopt;
    seconds = seconds * 60 + *n;
  }
  seconds += days * 86400;
  if (seconds <= 0) return std::nullopt;
  return seconds;
}

}  // namespace

std::optional<int64_t> ParseMemoryMb(const nlohmann::json& value) {
  if (value.is_number()) return CeilPositive(value.get<double>());
  if (!value.is_string()) return std::nullopt;
  // Slurm's memory suffixes, in either case; no suffix means megabytes.
  return ScaledBySuffix(value.get<std::string>(), [](char unit) {
    switch (std::toupper(static_cast<unsigned char>(unit))) {
      case 'K':
        return 1.0 / 1024;
      case 'M':
        return 1.0;
      case 'G':
        return 1024.0;
      case 'T':
        return 1024.0 * 1024;
      default:
        return 0.0;
    }
  });
}

std::optional<int64_t> ParseDurationSeconds(const nlohmann::json& value) {
  if (value.is_number()) return CeilPositive(value.get<double>());
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (text.find(':') != std::string::npos) return ClockSeconds(text);
  return ScaledBySuffix(text, [](char unit) {
    switch (unit) {
      case 's':
        return 1.0;
      case 'm':
        return 60.0;
      case 'h':
        return 3600.0;
      case 'd':
        return 86400.0;
      default:
        return 0.0;
    }
  });
}

std::string FormatSlurmTime(int64_t seconds) {
  const int64_t days = seconds / 86400;
  seconds %= 86400;
  char buffer[48];
  if (days > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(days),
                  static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld",
                  static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                  static_cast<long long>(seconds % 60));
  }
  return buffer;
}

}  // namespace securemark::pipeline
