#include "bot/slack/reconnect_backoff.hpp"

#include <algorithm>
#include <cmath>

namespace ff {
namespace {

// Shorter than this between hello and close counts as a failed attempt.
constexpr std::chrono::seconds kShortLived{2};

}  // namespace

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                                   std::uint32_t seed)
    : min_(min), max_(max), random_(seed) {}

std::chrono::milliseconds ReconnectBackoff::after_failure() {
  ++failures_;
  return delay();
}

std::chrono::milliseconds ReconnectBackoff::after_drop(TimePoint hello_at, TimePoint now) {
  failures_ = now - hello_at < kShortLived ? failures_ + 1 : 0;
  return delay();
}

std::chrono::milliseconds ReconnectBackoff::delay() {
  if (failures_ <= 0) return std::chrono::milliseconds{0};
  // The exponent stops at 20 so the double never overflows before the cap.
  const double base =
      static_cast<double>(min_.count()) * std::pow(2.0, std::min(failures_ - 1, 20));
  const double capped = std::min(base, static_cast<double>(max_.count()));
  // Jitter spreads the reconnects of many instances after a Slack outage.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds{static_cast<long long>(capped * jitter(random_))};
}

}  // namespace ff
