#include <catch2/catch.hpp>

#include <date/date.h>

#include "bot/schedule/working_time.hpp"

using namespace ff;
using namespace std::chrono_literals;
using date::March;
using date::November;

namespace {

// 2026-11-20 is a Friday.
std::chrono::system_clock::time_point utc(date::year_month_day day, std::chrono::minutes time) {
  return date::sys_days{day} + time;
}

}  // namespace

TEST_CASE("working time skips the weekend") {
  const WorkingHours hours;
  // Friday 16:00 + 4 working hours: one on Friday, three on Monday.
  CHECK(after_working_time(utc(date::year{2026} / November / 20, 16h), 4h, "UTC", hours) ==
        utc(date::year{2026} / November / 23, 12h));
  // One working day after Friday 16:00 is Monday 16:00.
  CHECK(after_working_time(utc(date::year{2026} / November / 20, 16h), 8h, "UTC", hours) ==
        utc(date::year{2026} / November / 23, 16h));
  // Asked on a Saturday: counted from Monday morning.
  CHECK(after_working_time(utc(date::year{2026} / November / 21, 10h), 1min, "UTC", hours) ==
        utc(date::year{2026} / November / 23, 9h + 1min));
  // Before the day starts: counted from 09:00.
  CHECK(after_working_time(utc(date::year{2026} / November / 23, 7h), 4h, "UTC", hours) ==
        utc(date::year{2026} / November / 23, 13h));
}

TEST_CASE("working time is counted in the person's own time zone") {
  const WorkingHours hours;
  // Auckland is UTC+13 in November. Monday 02:00 UTC is 15:00 there: two
  // hours on Monday, two on Tuesday morning (11:00 NZDT = Monday 22:00 UTC).
  CHECK(after_working_time(utc(date::year{2026} / November / 23, 2h), 4h, "Pacific/Auckland",
                           hours) == utc(date::year{2026} / November / 23, 22h));
  // Friday 23:00 UTC is Friday 15:00 in Los Angeles: two hours that day, two
  // on Monday (11:00 PST = 19:00 UTC).
  CHECK(after_working_time(utc(date::year{2026} / November / 20, 23h), 4h, "America/Los_Angeles",
                           hours) == utc(date::year{2026} / November / 23, 19h));
  // Saturday 20:00 UTC is already Sunday in Auckland: still the weekend there.
  CHECK(next_working_moment(utc(date::year{2026} / November / 21, 20h), "Pacific/Auckland",
                            hours) == utc(date::year{2026} / November / 22, 20h));
}

TEST_CASE("a working period that starts in a skipped daylight-saving hour starts after it") {
  WorkingHours sunday_early;
  sunday_early.days = {7};
  sunday_early.start = 2h;
  sunday_early.end = 10h;
  // Berlin skips 02:00-03:00 on 2027-03-28: the period starts at 03:00 CEST, 01:00 UTC.
  CHECK(next_working_moment(utc(date::year{2027} / March / 28, 0h), "Europe/Berlin",
                            sunday_early) == utc(date::year{2027} / March / 28, 1h));
}

TEST_CASE("within working hours the next working moment is now, and bad hours are refused") {
  const WorkingHours hours;
  const auto monday_ten = utc(date::year{2026} / November / 23, 10h);
  CHECK(next_working_moment(monday_ten, "UTC", hours) == monday_ten);
  CHECK(next_working_moment(monday_ten, "Not/A_Zone", hours) == monday_ten);  // counted in UTC
  CHECK(is_known_time_zone("Asia/Kolkata"));
  CHECK_FALSE(is_known_time_zone("Not/A_Zone"));
  WorkingHours none;
  none.days.clear();
  CHECK_THROWS_AS(check(none), WorkingHoursError);
  WorkingHours backwards;
  backwards.start = 17h;
  backwards.end = 9h;
  CHECK_THROWS_AS(after_working_time(monday_ten, 1h, "UTC", backwards), WorkingHoursError);
}

TEST_CASE("how long something has waited counts working time only, in the person's zone") {
  const WorkingHours hours;
  const auto friday_16 = utc(date::year{2026} / November / 20, 16h);
  const auto monday_12 = utc(date::year{2026} / November / 23, 12h);
  // One hour on Friday, three on Monday: the weekend counts nothing.
  CHECK(working_time_between(friday_16, monday_12, "UTC", hours) == 4h);
  // The inverse of after_working_time, whatever the amount.
  for (const std::chrono::minutes amount : {1min, 90min, 480min, 481min, 2430min}) {
    const auto until = after_working_time(friday_16, amount, "Europe/Paris", hours);
    CHECK(working_time_between(friday_16, until, "Europe/Paris", hours) == amount);
  }
  // 14:00 UTC is 09:00 in New York: nothing had waited before it.
  const auto monday_9_new_york = utc(date::year{2026} / November / 23, 14h);
  CHECK(working_time_between(utc(date::year{2026} / November / 23, 0h), monday_9_new_york,
                             "America/New_York", hours) == 0min);
  CHECK(working_time_between(monday_12, friday_16, "UTC", hours) == 0min);  // backwards
  // A wait of years is counted up to the cap, not walked day by day.
  CHECK(working_time_between(friday_16, friday_16 + std::chrono::hours{24 * 365 * 20}, "UTC", hours,
                             80h) == 80h);
}
