#include "bot/slack/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace ff {

MethodInfo method_info(std::string_view method) {
  static const std::unordered_map<std::string_view, MethodInfo> known = {
      // Tier 1 at Slack, but our reconnect back-off paces it and a 429 still
      // pauses it; a self-imposed minute of waiting would leave the bot deaf.
      {"apps.connections.open", {MethodTier::kUnlimited, true}},
      {"auth.test", {MethodTier::kTier4, true}},
      {"chat.postMessage", {MethodTier::kPerChannel, false}},
      {"chat.postEphemeral", {MethodTier::kPerChannel, false}},
      {"chat.update", {MethodTier::kTier3, true}},
      {"chat.delete", {MethodTier::kTier3, true}},
      {"conversations.open", {MethodTier::kTier3, true}},
      {"conversations.info", {MethodTier::kTier3, true}},
      {"users.info", {MethodTier::kTier4, true}},
      {"dnd.info", {MethodTier::kTier3, true}},
      {"views.open", {MethodTier::kTier4, false}},
      {"views.push", {MethodTier::kTier4, false}},
      {"views.update", {MethodTier::kTier4, true}},
      {"views.publish", {MethodTier::kTier4, true}},
  };
  const auto it = known.find(method);
  return it == known.end() ? MethodInfo{} : it->second;
}

std::string RateLimiter::bucket_key(std::string_view method, std::string_view channel) {
  std::string key(method);
  if (method_info(method).tier == MethodTier::kPerChannel) {
    key += '#';
    key += channel;
  }
  return key;
}

RateLimiter::Bucket& RateLimiter::bucket(std::string_view method, std::string_view channel) {
  const std::string key = bucket_key(method, channel);
  auto it = buckets_.find(key);
  if (it != buckets_.end()) return it->second;

  // Calls per minute for each tier, and the burst each bucket allows.
  double per_minute = 50;
  double burst = 5;
  switch (method_info(method).tier) {
    case MethodTier::kTier1:
      per_minute = 1;
      burst = 2;
      break;
    case MethodTier::kTier2:
      per_minute = 20;
      burst = 3;
      break;
    case MethodTier::kTier3:
      per_minute = 50;
      burst = 5;
      break;
    case MethodTier::kTier4:
      per_minute = 100;
      burst = 10;
      break;
    case MethodTier::kPerChannel:
      per_minute = 60;
      burst = 3;
      break;
    case MethodTier::kUnlimited:
      per_minute = 1e9;
      burst = 1e9;
      break;
  }
  Bucket b;
  b.capacity = burst;
  b.tokens = burst;
  b.per_second = per_minute / 60.0;
  b.updated = clock_.steady_now();
  return buckets_.emplace(key, b).first->second;
}

std::chrono::milliseconds RateLimiter::reserve(std::string_view method, std::string_view channel) {
  std::lock_guard lock(mutex_);
  Bucket& b = bucket(method, channel);
  const auto now = clock_.steady_now();
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(b.capacity, b.tokens + std::max(0.0, elapsed) * b.per_second);
  b.updated = now;
  // Taking the token now (possibly going negative) queues later callers
  // behind this one instead of letting them race for the same refill.
  b.tokens -= 1;
  double wait_s = b.tokens >= 0 ? 0 : -b.tokens / b.per_second;
  if (b.paused_until > now) {
    wait_s = std::max(wait_s, std::chrono::duration<double>(b.paused_until - now).count());
  }
  return std::chrono::milliseconds{static_cast<long long>(std::ceil(wait_s * 1000))};
}

void RateLimiter::pause(std::string_view method, std::string_view channel,
                        std::chrono::milliseconds for_how_long) {
  std::lock_guard lock(mutex_);
  Bucket& b = bucket(method, channel);
  b.paused_until = std::max(b.paused_until, clock_.steady_now() + for_how_long);
}

}  // namespace ff
