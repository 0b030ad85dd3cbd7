#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bot/schedule/working_time.hpp"

namespace ff {

// Who is asked to back an initiative, and how they are reminded
// ([initiatives] in the configuration).
struct InitiativeSettings {
  // A person's managers, by user id: nudged about everything they propose.
  std::map<std::string, std::vector<std::string>> managers;
  // A channel's leads, by channel id, in addition to those an admin sets
  // with /initiative leads.
  std::map<std::string, std::vector<std::string>> channel_leads;
  // When nobody has endorsed after this much of a person's working time,
  // they are reminded; one reminder per entry, then nothing more.
  std::vector<std::chrono::minutes> reminders_after{std::chrono::minutes{4 * 60},
                                                    std::chrono::minutes{8 * 60}};
  WorkingHours working_hours;
};

}  // namespace ff
