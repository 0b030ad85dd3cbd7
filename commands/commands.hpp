#pragma once

#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"

namespace ff::commands {

// Registers every feature's listeners: the product's table of contents.
void register_all(EnvelopeRouter& router, Services& services);

// Registers the features' durable job kinds (reminders) with the scheduler.
void register_jobs(JobScheduler& scheduler, Services& services);

}  // namespace ff::commands
