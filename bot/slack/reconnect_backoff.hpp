#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace ff {

// How long one connection slot waits before it asks Slack for a new ticket:
// exponential in the slot's failures, capped, with jitter. Time comes in as
// values so tests can drive it without sleeping.
class ReconnectBackoff {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                   std::uint32_t seed);

  // An attempt failed: no ticket, no connection, no hello, or Slack holding
  // its maximum of connections. Returns the wait before the next attempt.
  std::chrono::milliseconds after_failure();
  // A live connection closed. One that lived a while earns an immediate
  // reconnect; one that keeps dropping right after hello backs off.
  std::chrono::milliseconds after_drop(TimePoint hello_at, TimePoint now);

  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds delay();

  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::mt19937 random_;
  int failures_ = 0;
};

}  // namespace ff
