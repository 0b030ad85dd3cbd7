#pragma once

#include <chrono>

namespace ff {

// The keep-alive rule for one connection: after `ping_interval` of silence,
// ping; when neither a pong nor a message answers within `pong_timeout`, the
// socket is half-open and must be replaced. The WebSocket library sends no
// pings by itself, so this decides and the socket code acts. Time comes in
// as values so tests can drive it without sleeping.
class KeepAlive {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Step { kWait, kPing, kDead };

  KeepAlive(std::chrono::milliseconds ping_interval, std::chrono::milliseconds pong_timeout,
            TimePoint now);

  // Slack spoke (its own ping, or the socket opened): the silence ends.
  void heard(TimePoint now);
  // A pong or a message: the silence ends and an outstanding ping is answered.
  void answered(TimePoint now);
  // We sent a ping at `now`.
  void pinged(TimePoint now);

  // What the socket code should do now.
  Step next(TimePoint now) const;

 private:
  std::chrono::milliseconds ping_interval_;
  std::chrono::milliseconds pong_timeout_;
  TimePoint last_inbound_;
  TimePoint ping_sent_{};
  bool awaiting_pong_ = false;
};

}  // namespace ff
