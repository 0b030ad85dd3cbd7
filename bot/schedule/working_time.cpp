#include "bot/schedule/working_time.hpp"

#include <optional>

#include "bot/schedule/local_time.hpp"

namespace ff {
namespace {

using std::chrono::minutes;
using std::chrono::system_clock;

const date::time_zone* zone_of(const std::string& time_zone) {
  return local_time::zone_or_utc(time_zone);
}

// One working period of one local day, as UTC instants.
struct Period {
  system_clock::time_point begin;
  system_clock::time_point end;
};

// The working period of the local day `day`, if it is a working day
// (local_time::moment says where daylight-saving days put its ends).
std::optional<Period> period_of(const date::time_zone* zone, date::local_days day,
                                const WorkingHours& hours) {
  const unsigned weekday = date::weekday{day}.iso_encoding();
  if (hours.days.count(static_cast<int>(weekday)) == 0) return std::nullopt;
  return Period{local_time::moment(zone, day, hours.start),
                local_time::moment(zone, day, hours.end)};
}

date::local_days local_day_of(const date::time_zone* zone, system_clock::time_point at) {
  return local_time::day_of(zone, at);
}

// Days looked at before giving up; working hours are checked to have at
// least one working day, so a week always holds a period.
constexpr int kDaysSearched = 8;

}  // namespace

void check(const WorkingHours& hours) {
  if (hours.days.empty()) throw WorkingHoursError("working days: name at least one day");
  for (int day : hours.days) {
    if (day < 1 || day > 7) throw WorkingHoursError("working days are 1 (Monday) to 7 (Sunday)");
  }
  if (hours.start < minutes{0} || hours.end > minutes{24 * 60} || hours.end <= hours.start) {
    throw WorkingHoursError("working hours must start before they end, within one day");
  }
}

bool is_known_time_zone(const std::string& time_zone) {
  try {
    date::locate_zone(time_zone);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

system_clock::time_point after_working_time(system_clock::time_point from, minutes amount,
                                            const std::string& time_zone,
                                            const WorkingHours& hours) {
  check(hours);
  const auto* zone = zone_of(time_zone);
  auto left = std::chrono::duration_cast<system_clock::duration>(amount);
  auto day = local_day_of(zone, from) - date::days{1};  // a period may start the day before in UTC
  // Each pass consumes one local day; `amount` of working time spans at
  // most amount / per_day working days, and each week holds one.
  const auto max_days = (amount / hours.per_day() + 1) * kDaysSearched;
  for (long long pass = 0; pass <= max_days; ++pass, day += date::days{1}) {
    const auto period = period_of(zone, day, hours);
    if (!period || period->end <= from) continue;
    const auto begin = std::max(period->begin, from);
    const auto available = period->end - begin;
    if (left <= available) return begin + left;
    left -= available;
  }
  throw WorkingHoursError("working time could not be counted");  // unreachable after check()
}

minutes working_time_between(system_clock::time_point from, system_clock::time_point to,
                             const std::string& time_zone, const WorkingHours& hours, minutes cap) {
  check(hours);
  if (to <= from) return minutes{0};
  const auto* zone = zone_of(time_zone);
  system_clock::duration counted{0};
  auto day = local_day_of(zone, from) - date::days{1};
  // One local day a pass, until `to` or the cap: at most cap / per_day
  // working days, each week holding one.
  const auto max_days = (cap / hours.per_day() + 1) * kDaysSearched;
  for (long long pass = 0; pass <= max_days && counted < cap; ++pass, day += date::days{1}) {
    const auto period = period_of(zone, day, hours);
    if (!period) continue;
    if (period->begin >= to) break;
    const auto begin = std::max(period->begin, from);
    const auto end = std::min(period->end, to);
    if (end > begin) counted += end - begin;
  }
  return std::min(std::chrono::duration_cast<minutes>(counted), cap);
}

system_clock::time_point next_working_moment(system_clock::time_point at,
                                             const std::string& time_zone,
                                             const WorkingHours& hours) {
  check(hours);
  const auto* zone = zone_of(time_zone);
  auto day = local_day_of(zone, at) - date::days{1};
  for (int pass = 0; pass <= kDaysSearched + 1; ++pass, day += date::days{1}) {
    const auto period = period_of(zone, day, hours);
    if (!period || period->end <= at) continue;
    return std::max(period->begin, at);
  }
  throw WorkingHoursError("no working period found");  // unreachable after check()
}

}  // namespace ff
