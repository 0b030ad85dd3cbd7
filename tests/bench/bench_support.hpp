#pragma once

// What the benchmarks share: reading a process's resident memory and CPU
// time, the size of a file, and percentiles of measured samples.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ff::testing {

// A field of /proc/<pid>/status in KiB ("self" for this process), or -1.
inline long status_kib(const std::string& pid, const std::string& field) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// VmRSS (resident memory now) of a process in KiB, or -1.
inline long resident_kib(const std::string& pid = "self") {
  return status_kib(pid, "VmRSS");
}

// VmHWM (peak resident memory) of a process in KiB, or -1.
inline long peak_resident_kib(const std::string& pid = "self") {
  return status_kib(pid, "VmHWM");
}

// User plus system CPU time a process has used, in seconds (-1 if unknown),
// from the 14th and 15th fields of /proc/<pid>/stat; with `children`, also
// that of the children it has waited for (the 16th and 17th).
inline double cpu_seconds(const std::string& pid = "self", bool children = false) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name may hold spaces; the fields after it are space-separated.
  const auto name_end = text.rfind(')');
  if (name_end == std::string::npos) return -1;
  std::istringstream fields(text.substr(name_end + 2));
  std::string field;
  const int last = children ? 17 : 15;
  long long ticks = 0;
  int index = 3;
  for (; index <= last && fields >> field; ++index) {
    if (index >= 14) ticks += std::stoll(field);
  }
  if (index <= last) return -1;
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The size of a file in bytes, 0 when it does not exist.
inline long long file_bytes(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : 0;
}

// The nearest-rank percentile p (0..1) of the values.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace ff::testing
