#include "bot/slack/dedupe.hpp"

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

void MemoryInbox::admit(InboxEntry entry, std::function<void(Admission)> then) {
  // An event retried by Slack arrives in a new envelope with the same event id.
  const bool first = ids_.first_time(entry.envelope_id) &&
                     (entry.event_id.empty() || ids_.first_time("event:" + entry.event_id));
  then(first ? Admission::kNew : Admission::kAlreadyIn);
}

}  // namespace ff
