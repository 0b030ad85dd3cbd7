#pragma once

#include <atomic>
#include <chrono>

namespace ff {

// Time is injected wherever it matters (rate limits, keep-alive bookkeeping,
// dedupe expiry) so tests move it instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// The real time, moved forward on request: console mode's clock, so a
// person can see tomorrow's reminder today ("wait 1d").
class MovableClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now() + moved();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now() + moved();
  }
  void advance(std::chrono::nanoseconds by) { moved_ns_ += by.count(); }
  std::chrono::nanoseconds moved() const { return std::chrono::nanoseconds{moved_ns_.load()}; }

 private:
  std::atomic<long long> moved_ns_{0};
};

// A clock that only moves when told to; both faces advance together.
class ManualClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{} + offset();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point{} + offset();
  }
  void advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }
  void set_epoch(std::chrono::system_clock::time_point at) {
    offset_ns_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  }

 private:
  std::chrono::nanoseconds offset() const { return std::chrono::nanoseconds{offset_ns_.load()}; }
  std::atomic<long long> offset_ns_{1'700'000'000'000'000'000LL};
};

}  // namespace ff
