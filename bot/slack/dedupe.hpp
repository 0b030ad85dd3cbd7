#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bot/clock.hpp"

namespace ff {

// Remembers which envelopes and events were already handled, so a redelivery
// (same envelope_id, or the same event_id on Slack's retry) is handled once.
class DedupeStore {
 public:
  virtual ~DedupeStore() = default;
  // True the first time a key is seen within the retention window.
  virtual bool first_time(std::string_view key) = 0;
};

// In-process dedupe with a retention window and a size cap. Slack retries an
// unacknowledged event three times within about five minutes, and redelivers
// an unacked envelope on reconnect within seconds, so ids older than the
// window are forgotten. Only a 64-bit hash of each id is kept (about 40 bytes
// an entry): with 100,000 entries a false "seen" is about one in 10^9.
class RecentIds final : public DedupeStore {
 public:
  RecentIds(const Clock& clock, std::chrono::seconds retention, std::size_t max_entries);
  bool first_time(std::string_view key) override;
  std::size_t size() const;

 private:
  void expire(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const std::chrono::seconds retention_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_set<std::uint64_t> seen_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> order_;
};

// The in-process window in front of a durable store shared by every
// instance: a redelivery to this process is caught without a database round
// trip; one after a restart, or to another instance, by the database. While
// the database is unreachable the window alone decides, so envelopes keep
// being answered (and a redelivery to another instance may then be handled
// twice: the outage is logged).
class LayeredDedupe final : public DedupeStore {
 public:
  LayeredDedupe(DedupeStore& recent, DedupeStore& durable) : recent_(recent), durable_(durable) {}
  bool first_time(std::string_view key) override;
  std::uint64_t durable_failures() const { return durable_failures_.load(); }

 private:
  DedupeStore& recent_;
  DedupeStore& durable_;
  std::atomic<std::uint64_t> durable_failures_{0};
};

}  // namespace ff
