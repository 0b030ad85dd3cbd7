#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "bot/clock.hpp"

namespace ff {

// Slack's rate-limit tiers, per method per workspace, in calls per minute.
// chat.postMessage is "special": about one message per second per channel.
enum class MethodTier { kTier1, kTier2, kTier3, kTier4, kPerChannel, kUnlimited };

struct MethodInfo {
  MethodTier tier = MethodTier::kTier3;
  // True when repeating the call cannot duplicate anything a person sees,
  // so a timeout or a 5xx may be retried.
  bool retry_safe = false;
};

MethodInfo method_info(std::string_view method);

// Token buckets keyed by method (and by channel for per-channel methods), so
// the bot stays under Slack's limits by itself; a 429 pauses only the bucket
// it came from. reserve() never sleeps: it returns how long the caller must
// wait before its call, which keeps the limiter exact under a manual clock.
class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock) : clock_(clock) {}

  std::chrono::milliseconds reserve(std::string_view method, std::string_view channel = {});
  void pause(std::string_view method, std::string_view channel,
             std::chrono::milliseconds for_how_long);

  static std::string bucket_key(std::string_view method, std::string_view channel);

 private:
  struct Bucket {
    double tokens = 0;
    double capacity = 1;
    double per_second = 1;
    std::chrono::steady_clock::time_point updated{};
    std::chrono::steady_clock::time_point paused_until{};
  };
  Bucket& bucket(std::string_view method, std::string_view channel);

  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace ff
