#pragma once

#include <chrono>
#include <cstddef>

namespace ff {

// What one connection still owes Slack, and when it may close. A connection
// replaced on refresh closes only once every envelope it delivered is acked,
// or when its grace runs out, so a refresh loses nothing. One we give up on
// (no hello, no pong, Slack refusing it) closes without waiting. Time comes
// in as values so tests can drive it without sleeping.
class LinkDrain {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // An envelope went to the dispatcher; its ack has not left yet.
  void envelope_taken() { ++unacked_; }
  // Its ack left, or the dispatcher refused it.
  void envelope_released() {
    if (unacked_ > 0) --unacked_;
  }
  std::size_t unacked() const { return unacked_; }

  // A successor is live: close once acked, or at `deadline`. False when the
  // connection was draining already; its first deadline stands.
  bool begin(TimePoint deadline);
  // Close at the next chance, acked or not.
  void abandon();
  bool draining() const { return draining_; }

  // True once: the first time it is asked after the close has become due.
  bool claim_close(TimePoint now);

 private:
  bool draining_ = false;
  bool close_claimed_ = false;
  TimePoint deadline_{};
  std::size_t unacked_ = 0;
};

}  // namespace ff
