#include "bot/slack/log_throttle.hpp"

namespace ff {

LogThrottle::LogThrottle(const Clock& clock, std::chrono::milliseconds interval)
    : clock_(clock), interval_(interval) {}

std::optional<std::uint64_t> LogThrottle::admit() {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  if (last_written_ && now - *last_written_ < interval_) {
    ++held_back_;
    return std::nullopt;
  }
  last_written_ = now;
  const std::uint64_t held_back = held_back_;
  held_back_ = 0;
  return held_back;
}

std::string held_back_note(std::uint64_t held_back) {
  if (held_back == 0) return {};
  return " (" + std::to_string(held_back) + " more like it since the last such line, not logged)";
}

}  // namespace ff
