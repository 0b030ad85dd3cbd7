#include <catch2/catch.hpp>

#include "bot/slack/rate_limiter.hpp"

using namespace ff;
using namespace std::chrono_literals;

TEST_CASE("a tier allows its burst, then spaces calls at its rate") {
  ManualClock clock;
  RateLimiter limiter(clock);
  // Tier 3: 50 a minute, burst 5.
  for (int i = 0; i < 5; ++i) CHECK(limiter.reserve("chat.update") == 0ms);
  CHECK(limiter.reserve("chat.update") == 1200ms);
  CHECK(limiter.reserve("chat.update") == 2400ms);
  clock.advance(10s);
  CHECK(limiter.reserve("chat.update") == 0ms);
}

TEST_CASE("chat.postMessage is limited per channel, with one post of Slack's burst kept in hand") {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 2; ++i) CHECK(limiter.reserve("chat.postMessage", "C1") == 0ms);
  CHECK(limiter.reserve("chat.postMessage", "C1") == 1000ms);
  CHECK(limiter.reserve("chat.postMessage", "C1") == 2000ms);
  CHECK(limiter.reserve("chat.postMessage", "C2") == 0ms);
}

TEST_CASE("a 429 pauses only the method it came from") {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.pause("views.publish", 30s);
  CHECK(limiter.reserve("views.publish") == 30000ms);
  CHECK(limiter.reserve("users.info") == 0ms);
  clock.advance(31s);
  CHECK(limiter.reserve("views.publish") == 0ms);
}

TEST_CASE("a 429 on a post pauses posting to every channel, in both lanes") {
  ManualClock clock;
  RateLimiter limiter(clock);
  const auto before = limiter.paused("chat.postMessage");
  CHECK(before.left == 0ms);
  limiter.pause("chat.postMessage", 5s);
  const auto after = limiter.paused("chat.postMessage");
  CHECK(after.left == 5000ms);
  CHECK(after.generation != before.generation);
  CHECK(limiter.reserve("chat.postMessage", "D1") == 5000ms);
  CHECK(limiter.reserve("chat.postMessage", "D2", Lane::kBulk) == 5000ms);
  CHECK(limiter.reserve("chat.update", "D1") == 0ms);
  // A shorter pause does not shorten it, and is not a new one.
  limiter.pause("chat.postMessage", 1s);
  CHECK(limiter.paused("chat.postMessage").generation == after.generation);
  clock.advance(5s);
  CHECK(limiter.paused("chat.postMessage").left == 0ms);
  CHECK(limiter.reserve("chat.postMessage", "D3") == 0ms);
}

TEST_CASE("bulk posts keep a workspace-wide pace, and a person's posts do not wait behind them") {
  ManualClock clock;
  RateSettings settings;
  settings.bulk_posts_per_minute = 600;  // 10 a second, a burst of 10
  RateLimiter limiter(clock, settings);
  // Each nudge goes to a channel of its own: only the bulk pace holds them.
  for (int i = 0; i < 10; ++i) {
    CHECK(limiter.reserve("chat.postMessage", "D" + std::to_string(i), Lane::kBulk) == 0ms);
  }
  CHECK(limiter.reserve("chat.postMessage", "D10", Lane::kBulk) == 100ms);
  CHECK(limiter.reserve("chat.postMessage", "D11", Lane::kBulk) == 200ms);
  // Someone's reply in a channel of its own goes at once.
  CHECK(limiter.reserve("chat.postMessage", "C0TEAM", Lane::kPeople) == 0ms);
  // A read in the bulk lane has no bulk pace, only its tier.
  CHECK(limiter.reserve("users.info", "", Lane::kBulk) == 0ms);
  clock.advance(1s);
  CHECK(limiter.reserve("chat.postMessage", "D12", Lane::kBulk) == 0ms);
}

TEST_CASE("a call that would wait too long takes no turn") {
  ManualClock clock;
  RateLimiter limiter(clock);
  // Tier 3: a burst of 5, then one every 1.2 s.
  for (int i = 0; i < 5; ++i) CHECK(limiter.reserve("dnd.info") == 0ms);
  CHECK_FALSE(limiter.reserve_within("dnd.info", "", Lane::kBulk, 1000ms));
  CHECK(limiter.reserve_within("dnd.info", "", Lane::kBulk, 2000ms) == 1200ms);
  // The refused one left no debt: the next in line waits one interval more.
  CHECK(limiter.reserve("dnd.info") == 2400ms);
}

TEST_CASE("buckets of quiet channels are forgotten, so a fan-out leaves none per person") {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 20000; ++i) {
    if (i % 1000 == 0) clock.advance(10s);
    limiter.reserve("chat.postMessage", "D" + std::to_string(i), Lane::kBulk);
  }
  // A channel posted to a moment ago still remembers its turns.
  CHECK(limiter.reserve("chat.postMessage", "D19999") == 0ms);
  CHECK(limiter.reserve("chat.postMessage", "D19999") == 1000ms);
  CHECK(limiter.buckets() < 10000);
}

TEST_CASE("write methods that show a message are not retry-safe") {
  CHECK_FALSE(method_info("chat.postMessage").retry_safe);
  CHECK(method_info("users.info").retry_safe);
  CHECK(method_info("views.publish").retry_safe);
}
