#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "bot/clock.hpp"

namespace ff {

// At most one log line per interval for one kind of repeated message, so a
// flood of hostile frames cannot flood the log; the lines held back are
// counted and reported with the next line written. Time comes from the
// injected clock. Thread-safe.
class LogThrottle {
 public:
  LogThrottle(const Clock& clock, std::chrono::milliseconds interval);

  // Whether to write this line. If so, how many lines were held back since
  // the last one written; nullopt means hold this one back.
  std::optional<std::uint64_t> admit();

 private:
  const Clock& clock_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_written_;
  std::uint64_t held_back_ = 0;
};

// " (3 more like it since the last such line, not logged)" for a line that admit() let through
// after holding some back; empty when none were.
std::string held_back_note(std::uint64_t held_back);

}  // namespace ff
