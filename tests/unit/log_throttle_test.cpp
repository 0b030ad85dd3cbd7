#include <catch2/catch.hpp>

#include "bot/clock.hpp"
#include "bot/slack/log_throttle.hpp"

using namespace ff;
using namespace std::chrono_literals;

TEST_CASE("a log throttle writes the first line, then one per interval with the count held back") {
  ManualClock clock;
  LogThrottle throttle(clock, 10s);
  REQUIRE(throttle.admit() == std::optional<std::uint64_t>{0});
  for (int i = 0; i < 5; ++i) {
    clock.advance(1s);
    CHECK_FALSE(throttle.admit());
  }
  clock.advance(5s - 1ms);  // 9.999 s after the line written
  CHECK_FALSE(throttle.admit());
  clock.advance(1ms);
  CHECK(throttle.admit() == std::optional<std::uint64_t>{6});
  // The interval counts from the line just written, and the count starts over.
  CHECK_FALSE(throttle.admit());
  clock.advance(10s);
  CHECK(throttle.admit() == std::optional<std::uint64_t>{1});
}

TEST_CASE("a log throttle after a quiet spell writes at once and reports nothing held back") {
  ManualClock clock;
  LogThrottle throttle(clock, 10s);
  REQUIRE(throttle.admit());
  clock.advance(1h);
  CHECK(throttle.admit() == std::optional<std::uint64_t>{0});
}

TEST_CASE("the note for a throttled line says how many were held back, or nothing") {
  CHECK(held_back_note(0).empty());
  CHECK(held_back_note(12) == " (12 more like it since the last such line, not logged)");
}
