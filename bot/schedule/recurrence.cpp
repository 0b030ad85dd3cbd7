#include "bot/schedule/recurrence.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "bot/schedule/local_time.hpp"

namespace ff {
namespace {

using std::chrono::minutes;
using std::chrono::system_clock;

constexpr const char* kDayNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                     "Friday", "Saturday", "Sunday"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// 0 for Monday … 6 for Sunday; "fri", "friday", "fridays".
std::optional<int> day_number(const std::string& word) {
  static const char* const shorts[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int d = 0; d < 7; ++d) {
    const std::string full = lower(kDayNames[d]);
    if (word == shorts[d] || word == full || word == full + "s" || (d == 1 && word == "tues") ||
        (d == 3 && (word == "thur" || word == "thurs"))) {
      return d;
    }
  }
  return std::nullopt;
}

// Words and comma-separated items, lower case: "Mon,Wed 8:45" → mon wed 8:45.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!word.empty()) words.push_back(lower(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(lower(word));
  // "4 pm" is one time.
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if ((words[i + 1] == "am" || words[i + 1] == "pm") && !words[i].empty() &&
        std::isdigit(static_cast<unsigned char>(words[i].back()))) {
      words[i] += words[i + 1];
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  }
  return words;
}

std::string forms(const std::string& example) {
  std::string text =
      "I can send them `daily 9:30`, `weekdays 17:00`, `weekly fri 16:00`, `mon,wed 8:45` or "
      "`every 2 weeks thu 15:00`.";
  if (!example.empty()) text += " For example: `/nudges " + example + "`.";
  return text;
}

bool is_number(const std::string& word) {
  return !word.empty() && word.size() <= 2 &&
         std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string clock_text(minutes time_of_day) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(time_of_day.count() / 60),
                static_cast<int>(time_of_day.count() % 60));
  return text;
}

std::optional<minutes> parse_time_of_day(std::string_view word, std::string* problem) {
  std::string text = lower(word);
  int half_day = 0;  // 1: am, 2: pm
  for (const auto& [suffix, value] : {std::pair{"am", 1}, std::pair{"pm", 2}}) {
    const std::string s = suffix;
    if (text.size() > s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) {
      half_day = value;
      text.resize(text.size() - s.size());
    }
  }
  int hours = 0, mins = 0;
  char tail = 0;
  const auto colon = text.find(':');
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789:") != std::string::npos ||
      (colon != std::string::npos && (colon == 0 || text.size() - colon != 3))) {
    return std::nullopt;
  }
  if (colon == std::string::npos) {
    if (half_day == 0 || text.size() > 2) return std::nullopt;  // "9" alone is not a time
    hours = std::stoi(text);
  } else if (std::sscanf(text.c_str(), "%d:%d%c", &hours, &mins, &tail) != 2) {
    return std::nullopt;
  }
  const auto refuse = [&](const std::string& why) -> std::optional<minutes> {
    if (problem != nullptr) *problem = why;
    return std::nullopt;
  };
  if (mins > 59) return refuse("`" + std::string(word) + "` has more than 59 minutes.");
  if (half_day != 0) {
    if (hours < 1 || hours > 12) {
      return refuse("`" + std::string(word) + "` is not a time: with am or pm, hours go 1 to 12.");
    }
    hours = hours % 12 + (half_day == 2 ? 12 : 0);
  }
  if (hours > 23) return refuse("`" + std::string(word) + "` is not a time of day: 0:00 to 23:59.");
  return minutes{hours * 60 + mins};
}

std::variant<Recurrence, std::string> parse_recurrence(std::string_view text, int working_days) {
  const auto words = words_of(text);
  Recurrence rule;
  int days = 0;
  bool weekly = false;
  std::optional<minutes> at;
  std::string example_time = "9:30";
  std::string example_day;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    std::string problem;
    if (w == "daily" || w == "everyday" ||
        (w == "every" && i + 1 < words.size() && words[i + 1] == "day")) {
      days |= kEveryDay;
      if (w == "every") ++i;
    } else if (w == "weekdays" || w == "workdays" || w == "weekday") {
      days |= working_days;
    } else if (w == "weekly") {
      weekly = true;
    } else if (w == "biweekly" || w == "fortnightly") {
      weekly = true;
      rule.every_weeks = 2;
    } else if (w == "every" && i + 2 < words.size() && words[i + 1] == "other" &&
               (words[i + 2] == "week" || words[i + 2] == "weeks")) {
      weekly = true;
      rule.every_weeks = 2;
      i += 2;
    } else if (w == "every" && i + 2 < words.size() && is_number(words[i + 1]) &&
               (words[i + 2] == "weeks" || words[i + 2] == "week")) {
      const int n = std::stoi(words[i + 1]);
      if (n < 1 || n > kMostWeeksApart) {
        return "Every 1 to " + std::to_string(kMostWeeksApart) + " weeks, not " +
               std::to_string(n) + ". " + forms("every 2 weeks thu 15:00");
      }
      weekly = true;
      rule.every_weeks = n;
      i += 2;
    } else if (w == "at" || w == "on" || w == "and" || w == "every") {
      continue;
    } else if (const auto d = day_number(w)) {
      days |= 1 << *d;
      example_day = w;
    } else if (const auto t = parse_time_of_day(w, &problem)) {
      at = *t;
      example_time = w;
    } else if (!problem.empty()) {
      return problem + " For example: `/nudges weekdays 17:00`.";
    } else {
      return "I don't know `" + w + "` in a schedule. " +
             forms(example_day.empty() ? "weekdays " + example_time
                                       : "weekly " + example_day + " " + example_time);
    }
  }
  if (words.empty()) return forms("weekdays 9:30");
  if (days == 0) {
    return std::string(weekly ? "On which day? " : "On which days? ") +
           forms(at ? (weekly ? "weekly fri " : "weekdays ") + example_time : "weekdays 9:30");
  }
  if (!at) {
    return "At what time, in your own time zone? " +
           forms((example_day.empty() ? std::string("weekdays") : "weekly " + example_day) +
                 " 9:30");
  }
  rule.weekdays = days;
  rule.at = *at;
  return rule;
}

std::string describe(const Recurrence& rule, int working_days) {
  const std::string time = " at " + clock_text(rule.at);
  std::vector<std::string> names;
  for (int d = 0; d < 7; ++d) {
    if (rule.weekdays & (1 << d)) names.emplace_back(kDayNames[d]);
  }
  std::string days;
  for (std::size_t i = 0; i < names.size(); ++i) {
    days += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  if (rule.every_weeks > 1) {
    return "every " + std::to_string(rule.every_weeks) + " weeks on " + days + time;
  }
  if (rule.weekdays == kEveryDay) return "every day" + time;
  if (rule.weekdays == working_days && working_days == kMondayToFriday) return "weekdays" + time;
  if (names.size() == 1) return "every " + names.front() + time;
  return days + time;
}

bool NudgeCalendar::is_quiet(minutes time_of_day) const {
  if (quiet_from == quiet_until) return false;
  if (quiet_from < quiet_until) return time_of_day >= quiet_from && time_of_day < quiet_until;
  return time_of_day >= quiet_from || time_of_day < quiet_until;
}

namespace {

std::string date_text(date::local_days day) {
  const date::year_month_day ymd{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

bool is_holiday(const NudgeCalendar& calendar, date::local_days day) {
  return !calendar.holidays.empty() && calendar.holidays.count(date_text(day)) > 0;
}

std::int64_t monday_of(date::local_days day) {
  const unsigned from_monday = date::weekday{day}.iso_encoding() - 1;
  return (day - date::days{from_monday}).time_since_epoch().count();
}

// Two years of days: far enough for any rule (at most 8 weeks apart) around
// any list of holidays.
constexpr int kDaysSearched = 2 * 366;

}  // namespace

std::optional<system_clock::time_point> next_occurrence(
    const Recurrence& rule, system_clock::time_point after, const std::string& time_zone,
    const NudgeCalendar& calendar, std::optional<system_clock::time_point> not_before) {
  if ((rule.weekdays & kEveryDay) == 0 || rule.every_weeks < 1) return std::nullopt;
  const auto* zone = local_time::zone_or_utc(time_zone);
  const auto from = not_before && *not_before > after ? *not_before : after;
  auto day = local_time::day_of(zone, from) - date::days{1};
  for (int pass = 0; pass <= kDaysSearched; ++pass, day += date::days{1}) {
    const int weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
    if ((rule.weekdays & (1 << weekday)) == 0 || is_holiday(calendar, day)) continue;
    if (rule.every_weeks > 1) {
      const auto weeks_apart = (monday_of(day) - rule.anchor_monday) / 7;
      if (((weeks_apart % rule.every_weeks) + rule.every_weeks) % rule.every_weeks != 0) continue;
    }
    // A time the quiet hours came to cover after it was set waits for them
    // to end.
    const auto at =
        next_allowed_moment(local_time::moment(zone, day, rule.at), time_zone, calendar);
    if (at <= after || (not_before && at < *not_before)) continue;
    return at;
  }
  return std::nullopt;
}

system_clock::time_point next_allowed_moment(system_clock::time_point at,
                                             const std::string& time_zone,
                                             const NudgeCalendar& calendar) {
  const auto* zone = local_time::zone_or_utc(time_zone);
  auto day = local_time::day_of(zone, at);
  const auto time = local_time::time_of_day(zone, at);
  if (!calendar.is_quiet(time) && !is_holiday(calendar, day)) return at;
  // Quiet in the evening: the quiet hours end the next morning.
  if (calendar.is_quiet(time) && calendar.quiet_from > calendar.quiet_until &&
      time >= calendar.quiet_from) {
    day += date::days{1};
  }
  for (int pass = 0; pass <= kDaysSearched && is_holiday(calendar, day); ++pass) {
    day += date::days{1};
  }
  const auto morning = local_time::moment(zone, day, calendar.quiet_until);
  return morning > at ? morning : at;
}

std::string moment_in_words(system_clock::time_point at, const std::string& time_zone) {
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto* zone = local_time::zone_or_utc(time_zone);
  const auto day = local_time::day_of(zone, at);
  const date::year_month_day ymd{day};
  const int weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
  return std::string(kDayNames[weekday]) + " " + std::to_string(static_cast<unsigned>(ymd.day())) +
         " " + months[static_cast<unsigned>(ymd.month()) - 1] + ", " +
         clock_text(local_time::time_of_day(zone, at));
}

std::int64_t monday_of_week(system_clock::time_point at, const std::string& time_zone) {
  return monday_of(local_time::day_of(local_time::zone_or_utc(time_zone), at));
}

std::string local_date(system_clock::time_point at, const std::string& time_zone) {
  return date_text(local_time::day_of(local_time::zone_or_utc(time_zone), at));
}

std::optional<system_clock::time_point> start_of_date(std::string_view text,
                                                      const std::string& time_zone) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(std::string(text).c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return local_time::moment(local_time::zone_or_utc(time_zone), date::local_days{ymd}, minutes{0});
}

}  // namespace ff
