#pragma once

// Recurring schedules in a person's own time (reflection nudges): set in
// plain words, described back in words, and turned into the next UTC moment
// with daylight-saving days, holidays, quiet hours and pauses where they
// fall for that person.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace ff {

struct Recurrence {
  int weekdays = 0b0011111;         // bit 0 is Monday, bit 6 Sunday
  std::chrono::minutes at{9 * 60};  // local time of day
  int every_weeks = 1;              // 2: every other week
  // With every_weeks > 1: the Monday (local days since 1970-01-01) of a week
  // the schedule runs in; the weeks in between are left out.
  std::int64_t anchor_monday = 0;
};

inline constexpr int kEveryDay = 0b1111111;
inline constexpr int kMondayToFriday = 0b0011111;
inline constexpr int kMostWeeksApart = 8;

// "daily 9:30", "weekdays 17:00", "weekly fri 16:00", "mon,wed 8:45",
// "every 2 weeks thu 15:00". `working_days` is what "weekdays" means (a
// bit mask as in Recurrence). On failure, what to tell the person: the forms
// there are, with an example close to what they typed.
std::variant<Recurrence, std::string> parse_recurrence(std::string_view words,
                                                       int working_days = kMondayToFriday);

// "9:30", "09:30", "17:00", "4pm", "4:30 pm": minutes after midnight, or
// nullopt. `problem` says why a time-like word is not a time ("25:00").
std::optional<std::chrono::minutes> parse_time_of_day(std::string_view word,
                                                      std::string* problem = nullptr);

// "every day at 09:30", "weekdays at 17:00", "every Friday at 16:00",
// "Monday and Wednesday at 08:45", "every 2 weeks on Thursday at 15:00".
std::string describe(const Recurrence& rule, int working_days = kMondayToFriday);

// When nothing goes out: quiet hours every day (from 20:00 to 08:00 unless
// configured), and the workspace's holidays ("2026-12-25", local dates).
struct NudgeCalendar {
  std::chrono::minutes quiet_from{20 * 60};
  std::chrono::minutes quiet_until{8 * 60};
  std::set<std::string> holidays;

  bool is_quiet(std::chrono::minutes time_of_day) const;
};

// "20:00-08:00", "HH:MM" as the configuration writes them.
std::string clock_text(std::chrono::minutes time_of_day);

// The first moment after `after` (and not before `not_before`, a pause)
// when `rule` falls due in `time_zone`, leaving out holidays (and waiting
// out quiet hours, should they cover the rule's time); nullopt when
// none is found within two years. A local time that a daylight-saving jump
// skips is the first valid minute after it; one that happens twice, the
// first of the two.
std::optional<std::chrono::system_clock::time_point> next_occurrence(
    const Recurrence& rule, std::chrono::system_clock::time_point after,
    const std::string& time_zone, const NudgeCalendar& calendar,
    std::optional<std::chrono::system_clock::time_point> not_before = std::nullopt);

// `at` itself when it is neither in quiet hours nor on a holiday in
// `time_zone`, else the end of the quiet hours that follow (on the next day
// that is no holiday): where a snoozed nudge lands.
std::chrono::system_clock::time_point next_allowed_moment(std::chrono::system_clock::time_point at,
                                                          const std::string& time_zone,
                                                          const NudgeCalendar& calendar);

// "Friday 4 Dec, 16:00", in `time_zone`.
std::string moment_in_words(std::chrono::system_clock::time_point at, const std::string& time_zone);

// The local Monday (days since 1970-01-01) of the week `at` falls in.
std::int64_t monday_of_week(std::chrono::system_clock::time_point at, const std::string& time_zone);

// "2026-12-25" as a local date in `time_zone` of `at`.
std::string local_date(std::chrono::system_clock::time_point at, const std::string& time_zone);

// 2027-01-04 (a local date) as the start of that day in `time_zone`;
// nullopt for anything that is not a real date.
std::optional<std::chrono::system_clock::time_point> start_of_date(std::string_view date,
                                                                   const std::string& time_zone);

}  // namespace ff
