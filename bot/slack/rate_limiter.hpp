#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bot/clock.hpp"
#include "bot/slack/lane.hpp"

namespace ff {

// Slack's rate-limit tiers, per method per workspace, in calls per minute.
// chat.postMessage is "special": about one message per second per channel,
// and a workspace-wide limit Slack does not publish.
enum class MethodTier { kTier1, kTier2, kTier3, kTier4, kPerChannel, kUnlimited };

struct MethodInfo {
  MethodTier tier = MethodTier::kTier3;
  // True when repeating the call cannot duplicate anything a person sees,
  // so a timeout or a 5xx may be retried.
  bool retry_safe = false;
};

MethodInfo method_info(std::string_view method);

struct RateSettings {
  // The workspace-wide pace of bulk posts (chat.postMessage and
  // chat.postEphemeral made by BulkWork), on top of each channel's limit.
  // Slack publishes no figure for its own workspace-wide limit; this keeps a
  // fan-out well under what it tolerates, and a 429 slows everything anyway.
  double bulk_posts_per_minute = 1200;
};

// A 429's pause of a method, as a waiting caller sees it.
struct MethodPause {
  std::chrono::milliseconds left{0};  // 0 when the method is not paused
  // Changes each time a 429 sets or lengthens the pause: a caller that
  // waited for its turn compares it to know whether a 429 came meanwhile.
  std::uint64_t generation = 0;
};

// Token buckets keyed by method (and by channel for per-channel methods),
// plus a workspace-wide bucket for bulk posts, so the bot stays under
// Slack's limits by itself. A 429 pauses the method as a whole: Slack counts
// per method per workspace, and one 429 says that budget is spent, so every
// channel and both lanes wait it out, while other methods go on.
// reserve() never sleeps: it returns how long the caller must wait before
// its call, which keeps the limiter exact under a manual clock.
class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock, RateSettings settings = {})
      : clock_(clock), settings_(settings) {}

  std::chrono::milliseconds reserve(std::string_view method, std::string_view channel = {},
                                    Lane lane = Lane::kPeople);
  // reserve() when the wait would be at most `max_wait`; otherwise nullopt,
  // and no turn is taken.
  std::optional<std::chrono::milliseconds> reserve_within(std::string_view method,
                                                          std::string_view channel, Lane lane,
                                                          std::chrono::milliseconds max_wait);
  void pause(std::string_view method, std::chrono::milliseconds for_how_long);
  MethodPause paused(std::string_view method);

  static std::string bucket_key(std::string_view method, std::string_view channel);
  // Buckets held now (for tests: they stay bounded).
  std::size_t buckets();

 private:
  struct Bucket {
    double tokens = 0;
    double capacity = 1;
    double per_second = 1;
    std::chrono::steady_clock::time_point updated{};
  };
  struct Pause {
    std::chrono::steady_clock::time_point until{};
    std::uint64_t generation = 0;
  };
  Bucket& bucket(const std::string& key, double per_minute, double burst);
  Bucket& tier_bucket(std::string_view method, std::string_view channel);
  // The buckets a call draws on: its tier's, and the bulk one for a bulk post.
  int buckets_of(std::string_view method, std::string_view channel, Lane lane, Bucket* out[2]);
  // Forgets buckets that have refilled completely (they would be made
  // again just the same), so a fan-out to a hundred thousand DMs leaves no
  // bucket per person behind. Amortised: it runs when the map has doubled.
  void forget_full_buckets(std::chrono::steady_clock::time_point now);
  // Seconds until each bucket has a token for this call.
  double wait_seconds(Bucket* const* buckets, int count, std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const RateSettings settings_;
  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::size_t forget_above_ = 4096;
  std::map<std::string, Pause, std::less<>> pauses_;
};

}  // namespace ff
