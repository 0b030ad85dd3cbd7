#include "bot/schedule/local_time.hpp"

namespace ff::local_time {

const date::time_zone* zone_or_utc(const std::string& time_zone) {
  try {
    return date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

std::chrono::system_clock::time_point moment(const date::time_zone* zone, date::local_days day,
                                             std::chrono::minutes offset) {
  const auto local = day + offset;
  const auto info = zone->get_info(local);
  // A skipped time: the jump itself is the first valid minute after it.
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(info.second.begin);
  }
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      zone->to_sys(local, date::choose::earliest));
}

date::local_days day_of(const date::time_zone* zone, std::chrono::system_clock::time_point at) {
  return date::floor<date::days>(zone->to_local(at));
}

std::chrono::minutes time_of_day(const date::time_zone* zone,
                                 std::chrono::system_clock::time_point at) {
  const auto local = zone->to_local(at);
  return std::chrono::duration_cast<std::chrono::minutes>(local - date::floor<date::days>(local));
}

}  // namespace ff::local_time
