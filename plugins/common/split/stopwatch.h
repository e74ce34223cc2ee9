// Adds the time until it goes out of scope to `total`: where a party's seconds go, for
// the reports of server and owners.
#pragma once

#include <chrono>

namespace securemark::split {

struct Stopwatch {
  double& total;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~Stopwatch() {
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

}  // namespace securemark::split
