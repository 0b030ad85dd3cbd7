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

TEST_CASE("chat.postMessage is limited per channel") {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 3; ++i) CHECK(limiter.reserve("chat.postMessage", "C1") == 0ms);
  CHECK(limiter.reserve("chat.postMessage", "C1") == 1000ms);
  CHECK(limiter.reserve("chat.postMessage", "C2") == 0ms);
}

TEST_CASE("a 429 pauses only the bucket it came from") {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.pause("views.publish", "", 30s);
  CHECK(limiter.reserve("views.publish") == 30000ms);
  CHECK(limiter.reserve("users.info") == 0ms);
  clock.advance(31s);
  CHECK(limiter.reserve("views.publish") == 0ms);
}

TEST_CASE("write methods that show a message are not retry-safe") {
  CHECK_FALSE(method_info("chat.postMessage").retry_safe);
  CHECK(method_info("users.info").retry_safe);
  CHECK(method_info("views.publish").retry_safe);
}
