#pragma once

// What the files of the initiative feature share; internal to
// commands/initiative/. The card and looking an initiative up (card.cpp),
// the commands and the card's buttons (commands.cpp), the nudges to back one
// and their buttons (nudges.cpp), and the reminders (reminders.cpp).

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "commands/initiative/initiative.hpp"

namespace ff::commands::initiative {

extern const char* const kDatabaseAway;

Reply say(const std::string& text);
// Mentions of the valid user ids among `ids`, comma-separated.
std::string people_list(const std::vector<std::string>& ids);

// The card as it stands: who leads it, who backs it, and buttons while open.
Message card(const store::Initiative& i, const std::vector<store::Endorsement>& backers);
// Rewrites the card in place; a failure is logged, the state is already saved.
void refresh_card(const InitiativeServices& services, std::int64_t id);
// Rewrites the nudges asking people to back it, so none asks on once it is
// closed or the person endorsed: every nudge, or only `user`'s.
void refresh_nudges(const InitiativeServices& services, std::int64_t id, const std::string& user);
// The initiative `text` names, in `channel` (an empty channel accepts any);
// drafts only when `drafts_too`. On failure, what to tell the person.
std::variant<store::Initiative, std::string> find(const InitiativeServices& services,
                                                  const std::string& text,
                                                  const std::string& channel,
                                                  const std::string& usage,
                                                  bool drafts_too = false);

// `/initiative <title> | <description>`: a draft and its preview, with Post,
// Edit and Cancel (drafts.cpp).
Reply propose(const InitiativeServices& services, const SlashCommand& command,
              const std::string& text);
// `/initiative edit <number>`: the form that edits an open initiative.
Reply open_edit(const InitiativeServices& services, const SlashCommand& command,
                const std::string& argument);
void register_draft_buttons(EnvelopeRouter::Routes routes, const InitiativeServices& services);
// Endorse or follow, from /endorse or a button.
Reply back(const InitiativeServices& services, const std::string& user, const std::string& id_text,
           const std::string& channel, const std::string& kind);

// Nudges each backer at once, and schedules their reminders.
void nudge_backers(const InitiativeServices& services, const store::Initiative& i);
// The DM asking `to` to back the initiative; `reminder` is 0 for the first
// nudge, then the reminder's number, `last` for the last one.
Message nudge_message(const store::Initiative& i, const std::string& to, int reminder, bool last);
// A nudge job: the first nudge (`reminder` 0) or a reminder, sent once,
// unless the initiative closed or (for a reminder) found support meanwhile.
JobOutcome send_nudge(const InitiativeServices& services, const store::Job& job,
                      JobControl& control, int reminder, bool last);
// The DM telling a backer (or the owner, when someone else closed it) that an
// initiative is done or dropped.
JobOutcome send_closed_notice(const InitiativeServices& services, const store::Job& job,
                              JobControl& control);
// Endorse, Endorse with a nit and Not now on a nudge.
void register_nudge_buttons(EnvelopeRouter::Routes routes, const InitiativeServices& services);

// The unique-key prefix of every reminder about an initiative.
std::string reminder_prefix(std::int64_t id);
// A person's time zone: from the profile cache while it is fresh, else from
// users.info (then cached again), else the stale cache, else UTC.
std::string time_zone_of(const InitiativeServices& services, const std::string& user);
// Schedules `person`'s reminders in their own working time. Durable jobs
// carry them across restarts, and their keys make scheduling twice harmless.
void schedule_reminders(const InitiativeServices& services, const store::Initiative& i,
                        const std::string& person);

}  // namespace ff::commands::initiative
