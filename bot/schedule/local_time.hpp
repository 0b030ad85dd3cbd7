#pragma once

// Local days and times in a named time zone, shared by working time and
// recurring schedules. Includes date/tz, so it stays out of public headers.

#include <chrono>
#include <string>

#include <date/tz.h>

namespace ff::local_time {

// The zone by its name ("Europe/Paris"), or UTC for a name the system's
// time-zone database does not know.
const date::time_zone* zone_or_utc(const std::string& time_zone);

// The UTC moment of `offset` after the start of local `day`. A local time
// that a daylight-saving jump skips (02:30 on a spring-forward day) is the
// first valid minute after it; one that happens twice (01:30 on a fall-back
// day) is the first of the two.
std::chrono::system_clock::time_point moment(const date::time_zone* zone, date::local_days day,
                                             std::chrono::minutes offset);

// The local day that `at` falls on in `zone`.
date::local_days day_of(const date::time_zone* zone, std::chrono::system_clock::time_point at);

// Minutes since local midnight of `at` in `zone`.
std::chrono::minutes time_of_day(const date::time_zone* zone,
                                 std::chrono::system_clock::time_point at);

}  // namespace ff::local_time
