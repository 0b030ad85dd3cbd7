#pragma once

#include <chrono>
#include <string>

#include "bot/schedule/recurrence.hpp"

namespace ff {

// When reflection nudges may go out ([nudges] in the configuration).
struct NudgeSettings {
  // Quiet hours and the workspace's holidays: nothing is sent then.
  NudgeCalendar calendar;
  // A nudge found due later than this (the bot was down) is skipped, and the
  // next one scheduled: never a burst of stale nudges.
  std::chrono::minutes grace{120};
  // For people whose Slack profile has no time zone, and for channels.
  std::string default_time_zone = "UTC";
  // Ask Slack (dnd.info, one call per nudge, 50 a minute) whether the person
  // is in Do Not Disturb, and wait until it ends. Off for a workspace that
  // sends thousands of nudges in one minute.
  bool respect_do_not_disturb = true;
};

}  // namespace ff
