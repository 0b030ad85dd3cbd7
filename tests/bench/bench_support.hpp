#pragma once

// What the benchmarks share: reading a process's resident memory and taking
// percentiles of measured samples.

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace ff::testing {

// VmRSS of a process in KiB ("self" for this one), or -1.
inline long resident_kib(const std::string& pid = "self") {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The nearest-rank percentile p (0..1) of the values.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace ff::testing
