#pragma once

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

namespace ff {

// When people work, in their own time zone: reminders count working time,
// not clock time, so a request made on Friday afternoon is not chased on
// Saturday, and a manager twelve hours ahead is reminded in their morning.
struct WorkingHours {
  std::set<int> days{1, 2, 3, 4, 5};  // ISO weekdays: 1 is Monday, 7 is Sunday
  std::chrono::minutes start{9 * 60};
  std::chrono::minutes end{17 * 60};

  std::chrono::minutes per_day() const { return end - start; }
};

// Working hours that cannot be used: no working day, or a day that ends
// before it starts.
class WorkingHoursError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
void check(const WorkingHours& hours);

// True when `time_zone` is a name the system's time-zone database knows
// ("Europe/Paris"); users.info gives such names.
bool is_known_time_zone(const std::string& time_zone);

// The moment `amount` of working time has passed after `from`, counted in
// `time_zone` (an unknown zone counts in UTC). Days and hours are local, so
// daylight-saving changes and weekends fall where they do for that person.
std::chrono::system_clock::time_point after_working_time(std::chrono::system_clock::time_point from,
                                                         std::chrono::minutes amount,
                                                         const std::string& time_zone,
                                                         const WorkingHours& hours);

// How much working time lies between `from` and `to` in `time_zone`: how
// long something has waited, as the person waiting would count it. Counted
// up to `cap` (a wait of years is not walked day by day).
std::chrono::minutes working_time_between(std::chrono::system_clock::time_point from,
                                          std::chrono::system_clock::time_point to,
                                          const std::string& time_zone, const WorkingHours& hours,
                                          std::chrono::minutes cap = std::chrono::hours{24 * 366});

// `at` itself when it is within working hours there, else the start of the
// next working period.
std::chrono::system_clock::time_point next_working_moment(std::chrono::system_clock::time_point at,
                                                          const std::string& time_zone,
                                                          const WorkingHours& hours);

}  // namespace ff
