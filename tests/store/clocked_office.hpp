#pragma once

// The bot against the fake Slack on a clock the test moves: what the tests
// of reminders and of reflection nudges start from. The scheduler's own
// thread makes one pass at start; the tests run the rest themselves.

#include <initializer_list>
#include <string>
#include <thread>

#include <date/date.h>
#include <catch2/catch.hpp>

#include "integration/support.hpp"

namespace ff::testing {

// A moment of December 2026, in UTC: Friday the 4th, Monday the 7th.
inline std::chrono::system_clock::time_point december(unsigned day, std::chrono::minutes time) {
  return date::sys_days{date::year{2026} / date::December / day} + time;
}

inline void wait_for_first_pass(RunningBot& bot) {
  for (int i = 0; i < 250 && bot.bot->scheduler().counters().passes == 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(bot.bot->scheduler().counters().passes > 0);
}

struct ClockedOffice {
  ManualClock clock;
  FakeSlack slack;

  // Everything posted to one channel or person so far, as one text.
  std::string posted_to(const std::string& channel) const {
    std::string text;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == channel) text += call.body;
    }
    return text;
  }

  // Waits (bounded) until something posted to `channel` contains `text`.
  bool wait_for_post_to(const std::string& channel, const std::string& text) const {
    for (int i = 0; i < 750 && posted_to(channel).find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    return posted_to(channel).find(text) != std::string::npos;
  }

  // Moves time and lets the scheduler(s) run what fell due.
  void at(std::chrono::system_clock::time_point when, std::initializer_list<RunningBot*> bots) {
    clock.set_epoch(when);
    for (auto* bot : bots) bot->bot->scheduler().run_due();
  }

  int connect(RunningBot& bot, std::size_t accepted) {
    for (int i = 0; i < 100 && slack.connections_accepted() < accepted; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(bot.bot->client().wait_until_live(1, 5s));
    wait_for_first_pass(bot);
    return slack.open_connections().back();
  }
};

}  // namespace ff::testing
