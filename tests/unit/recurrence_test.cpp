// Recurring nudge schedules: words in, words out, and the next moment in a
// person's own time across daylight-saving days in both hemispheres.
#include <catch2/catch.hpp>

#include <date/date.h>

#include "bot/schedule/recurrence.hpp"

using namespace ff;
using std::chrono::minutes;
using std::chrono::system_clock;

namespace {

system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min) {
  return date::sys_days{date::year{y} / m / d} + std::chrono::hours{h} + minutes{min};
}

Recurrence parsed(const std::string& words) {
  auto result = parse_recurrence(words);
  if (const auto* error = std::get_if<std::string>(&result)) FAIL(words << ": " << *error);
  return std::get<Recurrence>(result);
}

std::string error_of(const std::string& words) {
  auto result = parse_recurrence(words);
  const auto* error = std::get_if<std::string>(&result);
  return error ? *error : std::string();
}

}  // namespace

TEST_CASE("schedules are set in plain words and described back in words") {
  CHECK(describe(parsed("daily 9:30")) == "every day at 09:30");
  CHECK(describe(parsed("weekdays 17:00")) == "weekdays at 17:00");
  CHECK(describe(parsed("weekly fri 16:00")) == "every Friday at 16:00");
  CHECK(describe(parsed("mon,wed 8:45")) == "Monday and Wednesday at 08:45");
  CHECK(describe(parsed("Mon, Wed, Fri at 4:30 pm")) == "Monday, Wednesday and Friday at 16:30");
  CHECK(describe(parsed("every 2 weeks thu 15:00")) == "every 2 weeks on Thursday at 15:00");
  CHECK(describe(parsed("every other week on tuesday 9am")) == "every 2 weeks on Tuesday at 09:00");
  CHECK(parsed("daily 12am").at == minutes{0});
  CHECK(parsed("daily 12pm").at == minutes{12 * 60});
}

TEST_CASE("a schedule that cannot be read says which forms there are, close to what was typed") {
  CHECK(error_of("daily 25:00").find("`25:00` is not a time of day") != std::string::npos);
  CHECK(error_of("daily 9:75").find("more than 59 minutes") != std::string::npos);
  CHECK(error_of("daily 13pm").find("hours go 1 to 12") != std::string::npos);
  const std::string unknown = error_of("fridays at teatime");
  CHECK(unknown.find("I don't know `teatime`") != std::string::npos);
  CHECK(unknown.find("`/nudges weekly fridays 9:30`") != std::string::npos);
  CHECK(error_of("16:00").find("On which days?") != std::string::npos);
  CHECK(error_of("16:00").find("`/nudges weekdays 16:00`") != std::string::npos);
  CHECK(error_of("weekly 16:00").find("On which day?") != std::string::npos);
  CHECK(error_of("weekly fri").find("At what time") != std::string::npos);
  CHECK(error_of("every 9 weeks fri 10:00").find("Every 1 to 8 weeks") != std::string::npos);
  CHECK(error_of("9").find("I don't know `9`") != std::string::npos);
}

TEST_CASE("the next nudge is at the local time, on the days asked for") {
  const NudgeCalendar calendar;
  const auto rule = parsed("weekdays 17:00");
  // Friday 4 Dec 2026, 12:00 in Paris (11:00 UTC): today at 17:00 local.
  CHECK(next_occurrence(rule, utc(2026, 12, 4, 11, 0), "Europe/Paris", calendar) ==
        utc(2026, 12, 4, 16, 0));
  // After it: Monday, over the weekend.
  CHECK(next_occurrence(rule, utc(2026, 12, 4, 16, 0), "Europe/Paris", calendar) ==
        utc(2026, 12, 7, 16, 0));
  // The same rule in Tokyo is another moment.
  CHECK(next_occurrence(rule, utc(2026, 12, 4, 11, 0), "Asia/Tokyo", calendar) ==
        utc(2026, 12, 7, 8, 0));
  CHECK(moment_in_words(utc(2026, 12, 4, 16, 0), "Europe/Paris") == "Friday 4 Dec, 17:00");
}

TEST_CASE("16:00 stays 16:00 local across daylight-saving changes, north and south") {
  const NudgeCalendar calendar;
  const auto rule = parsed("daily 16:00");
  // Paris moves from UTC+1 to UTC+2 on Sunday 28 March 2027.
  CHECK(next_occurrence(rule, utc(2027, 3, 27, 16, 0), "Europe/Paris", calendar) ==
        utc(2027, 3, 28, 14, 0));
  CHECK(next_occurrence(rule, utc(2027, 3, 26, 16, 0), "Europe/Paris", calendar) ==
        utc(2027, 3, 27, 15, 0));
  // Sydney moves from UTC+11 to UTC+10 on Sunday 4 April 2027.
  CHECK(next_occurrence(rule, utc(2027, 4, 3, 6, 0), "Australia/Sydney", calendar) ==
        utc(2027, 4, 4, 6, 0));
  CHECK(next_occurrence(rule, utc(2027, 4, 2, 6, 0), "Australia/Sydney", calendar) ==
        utc(2027, 4, 3, 5, 0));
}

TEST_CASE(
    "a time a daylight-saving jump skips goes at the first valid minute, one it repeats once") {
  NudgeCalendar calendar;
  calendar.quiet_from = calendar.quiet_until;  // no quiet hours: night times are the point here
  // 02:30 does not exist in Paris on 28 March 2027 (02:00 → 03:00 local).
  const auto spring =
      next_occurrence(parsed("daily 2:30"), utc(2027, 3, 27, 12, 0), "Europe/Paris", calendar);
  CHECK(spring == utc(2027, 3, 28, 1, 0));  // 03:00 local, UTC+2
  // 02:30 happens twice in Paris on 31 October 2027: the first one, once.
  const auto rule = parsed("daily 2:30");
  const auto autumn = next_occurrence(rule, utc(2027, 10, 30, 12, 0), "Europe/Paris", calendar);
  CHECK(autumn == utc(2027, 10, 31, 0, 30));  // still UTC+2
  const auto after = next_occurrence(rule, *autumn, "Europe/Paris", calendar);
  CHECK(after == utc(2027, 11, 1, 1, 30));  // the next day, not the second 02:30
  // Santiago springs forward at 00:00 on 5 September 2027 (to 01:00).
  const auto south =
      next_occurrence(parsed("daily 0:30"), utc(2027, 9, 4, 12, 0), "America/Santiago", calendar);
  CHECK(south == utc(2027, 9, 5, 4, 0));  // 01:00 local, UTC-3
}

TEST_CASE("holidays, pauses and every other week are left out; quiet hours are waited out") {
  NudgeCalendar calendar;
  calendar.holidays = {"2026-12-25"};
  const auto rule = parsed("weekly fri 16:00");
  CHECK(next_occurrence(rule, utc(2026, 12, 19, 0, 0), "UTC", calendar) ==
        utc(2027, 1, 1, 16, 0));  // 25 Dec is left out
  CHECK(next_occurrence(rule, utc(2026, 12, 1, 0, 0), "UTC", calendar, utc(2026, 12, 5, 0, 0)) ==
        utc(2026, 12, 11, 16, 0));  // paused until the 5th
  auto fortnightly = parsed("every 2 weeks thu 15:00");
  fortnightly.anchor_monday = monday_of_week(utc(2026, 11, 30, 12, 0), "UTC");
  const auto first = next_occurrence(fortnightly, utc(2026, 11, 30, 12, 0), "UTC", calendar);
  CHECK(first == utc(2026, 12, 3, 15, 0));
  CHECK(next_occurrence(fortnightly, *first, "UTC", calendar) == utc(2026, 12, 17, 15, 0));
  // A 21:00 schedule under the default quiet hours (20:00-08:00) waits for
  // the morning; a snooze into the night does too.
  const NudgeCalendar quiet;
  CHECK(next_occurrence(parsed("daily 21:00"), utc(2026, 12, 4, 12, 0), "UTC", quiet) ==
        utc(2026, 12, 5, 8, 0));
  CHECK(next_allowed_moment(utc(2026, 12, 4, 19, 30), "UTC", quiet) == utc(2026, 12, 4, 19, 30));
  CHECK(next_allowed_moment(utc(2026, 12, 4, 20, 30), "UTC", quiet) == utc(2026, 12, 5, 8, 0));
  CHECK(next_allowed_moment(utc(2026, 12, 5, 3, 0), "UTC", quiet) == utc(2026, 12, 5, 8, 0));
  CHECK(next_allowed_moment(utc(2026, 12, 24, 21, 0), "UTC", calendar) == utc(2026, 12, 26, 8, 0));
}

TEST_CASE("dates are read as local days, and only real ones") {
  CHECK(start_of_date("2027-01-04", "Europe/Paris") == utc(2027, 1, 3, 23, 0));
  CHECK_FALSE(start_of_date("2027-02-30", "UTC"));
  CHECK_FALSE(start_of_date("next week", "UTC"));
  CHECK(local_date(utc(2027, 1, 3, 23, 30), "Europe/Paris") == "2027-01-04");
}
