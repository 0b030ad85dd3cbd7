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

RateLimiter::Bucket& RateLimiter::bucket(const std::string& key, double per_minute, double burst) {
  auto it = buckets_.find(key);
  if (it != buckets_.end()) return it->second;
  Bucket b;
  b.capacity = burst;
  b.tokens = burst;
  b.per_second = per_minute / 60.0;
  b.updated = clock_.steady_now();
  return buckets_.emplace(key, b).first->second;
}

RateLimiter::Bucket& RateLimiter::tier_bucket(std::string_view method, std::string_view channel) {
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
      // Slack allows one a second per channel after a short burst. We keep
      // one post of that burst in hand: Slack counts arrivals, and a post
      // delayed on the way (the first, opening a connection) would otherwise
      // make the next one on time look early.
      per_minute = 60;
      burst = 2;
      break;
    case MethodTier::kUnlimited:
      per_minute = 1e9;
      burst = 1e9;
      break;
  }
  return bucket(bucket_key(method, channel), per_minute, burst);
}

int RateLimiter::buckets_of(std::string_view method, std::string_view channel, Lane lane,
                            Bucket* out[2]) {
  int count = 0;
  out[count++] = &tier_bucket(method, channel);
  if (lane == Lane::kBulk && method_info(method).tier == MethodTier::kPerChannel) {
    // A second's worth of burst: a fan-out starts at its pace at once.
    const double per_minute = std::max(settings_.bulk_posts_per_minute, 1.0);
    out[count++] =
        &bucket(std::string(method) + "@bulk", per_minute, std::max(per_minute / 60, 1.0));
  }
  return count;
}

void RateLimiter::forget_full_buckets(std::chrono::steady_clock::time_point now) {
  if (buckets_.size() < forget_above_) return;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    const bool full = b.tokens + std::max(0.0, elapsed) * b.per_second >= b.capacity;
    it = full ? buckets_.erase(it) : std::next(it);
  }
  forget_above_ = std::max<std::size_t>(4096, buckets_.size() * 2);
}

double RateLimiter::wait_seconds(Bucket* const* buckets, int count,
                                 std::chrono::steady_clock::time_point now) {
  double wait_s = 0;
  for (int i = 0; i < count; ++i) {
    Bucket& b = *buckets[i];
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(b.capacity, b.tokens + std::max(0.0, elapsed) * b.per_second);
    b.updated = now;
    const double after = b.tokens - 1;
    wait_s = std::max(wait_s, after >= 0 ? 0 : -after / b.per_second);
  }
  return wait_s;
}

std::optional<std::chrono::milliseconds> RateLimiter::reserve_within(
    std::string_view method, std::string_view channel, Lane lane,
    std::chrono::milliseconds max_wait) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.steady_now();
  forget_full_buckets(now);
  Bucket* buckets[2];
  const int count = buckets_of(method, channel, lane, buckets);
  double wait_s = wait_seconds(buckets, count, now);
  if (const auto p = pauses_.find(method); p != pauses_.end() && p->second.until > now) {
    wait_s = std::max(wait_s, std::chrono::duration<double>(p->second.until - now).count());
  }
  const std::chrono::milliseconds wait{static_cast<long long>(std::ceil(wait_s * 1000))};
  if (wait > max_wait) return std::nullopt;
  // Taking the token now (possibly going negative) queues later callers
  // behind this one instead of letting them race for the same refill.
  for (int i = 0; i < count; ++i) buckets[i]->tokens -= 1;
  return wait;
}

std::chrono::milliseconds RateLimiter::reserve(std::string_view method, std::string_view channel,
                                               Lane lane) {
  return *reserve_within(method, channel, lane, std::chrono::milliseconds::max());
}

void RateLimiter::pause(std::string_view method, std::chrono::milliseconds for_how_long) {
  std::lock_guard lock(mutex_);
  auto it = pauses_.find(method);
  if (it == pauses_.end()) it = pauses_.emplace(std::string(method), Pause{}).first;
  const auto until = clock_.steady_now() + for_how_long;
  if (until > it->second.until) {
    it->second.until = until;
    ++it->second.generation;
  }
}

std::size_t RateLimiter::buckets() {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

MethodPause RateLimiter::paused(std::string_view method) {
  std::lock_guard lock(mutex_);
  const auto it = pauses_.find(method);
  if (it == pauses_.end()) return {};
  const auto left = it->second.until - clock_.steady_now();
  return {
      std::max(std::chrono::ceil<std::chrono::milliseconds>(left), std::chrono::milliseconds{0}),
      it->second.generation};
}

}  // namespace ff
