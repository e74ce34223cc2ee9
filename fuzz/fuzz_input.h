// Helpers shared by the fuzz targets: readers that take a path get the input as a file.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace securemark::fuzz {

// The input written to a per-process file in /dev/shm (or /tmp), whose path is returned.
inline const std::string& AsFile(const uint8_t* data, size_t size, const char* suffix = "") {
  static const std::string path = [&] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/securemark-fuzz-" + std::to_string(getpid()) + suffix;
  }();
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Message frames written one after another, separated by "\n--\n".
inline std::vector<std::string> SplitFrames(const std::string& input) {
  std::vector<std::string> frames;
  for (size_t start = 0;;) {
    const size_t end = input.find("\n--\n", start);
    frames.push_back(input.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return frames;
    start = end + 4;
  }
}

}  // namespace securemark::fuzz
