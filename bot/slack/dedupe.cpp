#include "bot/slack/dedupe.hpp"

#include <spdlog/spdlog.h>

namespace ff {

RecentIds::RecentIds(const Clock& clock, std::chrono::seconds retention, std::size_t max_entries)
    : clock_(clock), retention_(retention), max_entries_(max_entries) {}

bool RecentIds::first_time(std::string_view key) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  expire(now);
  const std::uint64_t hash = std::hash<std::string_view>{}(key);
  if (!seen_.insert(hash).second) return false;
  order_.emplace_back(now, hash);
  return true;
}

std::size_t RecentIds::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

void RecentIds::expire(std::chrono::steady_clock::time_point now) {
  while (!order_.empty() &&
         (order_.front().first + retention_ <= now || order_.size() >= max_entries_)) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool LayeredDedupe::first_time(std::string_view key) {
  if (!recent_.first_time(key)) return false;
  try {
    return durable_.first_time(key);
  } catch (const std::exception& error) {
    // Logged on the first failure and then every thousandth, not per envelope.
    if (durable_failures_++ % 1000 == 0) {
      spdlog::warn("dedupe: the database is unavailable ({}); using this process's memory only",
                   error.what());
    }
    return true;
  }
}

}  // namespace ff
