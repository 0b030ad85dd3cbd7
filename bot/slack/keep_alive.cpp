#include "bot/slack/keep_alive.hpp"

namespace ff {

KeepAlive::KeepAlive(std::chrono::milliseconds ping_interval,
                     std::chrono::milliseconds pong_timeout, TimePoint now)
    : ping_interval_(ping_interval), pong_timeout_(pong_timeout), last_inbound_(now) {}

void KeepAlive::heard(TimePoint now) {
  last_inbound_ = now;
}

void KeepAlive::answered(TimePoint now) {
  last_inbound_ = now;
  awaiting_pong_ = false;
}

void KeepAlive::pinged(TimePoint now) {
  ping_sent_ = now;
  awaiting_pong_ = true;
}

KeepAlive::Step KeepAlive::next(TimePoint now) const {
  if (awaiting_pong_) return now - ping_sent_ >= pong_timeout_ ? Step::kDead : Step::kWait;
  return now - last_inbound_ >= ping_interval_ ? Step::kPing : Step::kWait;
}

}  // namespace ff
