#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bot/app/config.hpp"
#include "bot/metrics.hpp"
#include "bot/prompts.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/dispatcher.hpp"
#include "bot/slack/router.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/store/stores.hpp"

namespace ff {

// Everything a running bot is made of except the way it talks to Slack: the
// services handlers are given, the router with every feature registered,
// the durable inbox, the worker pool and the dispatcher, and the job scheduler with the
// features' jobs and maintenance. Slack mode, console mode and the tests all
// build this one object; they differ only in the SlackApi they hand it and
// in the transport that feeds its dispatcher.
class BotCore {
 public:
  BotCore(const Config& config, const PromptLibrary& library, store::SqlStore& store,
          SlackApi& slack, const Clock& clock);
  ~BotCore();
  BotCore(const BotCore&) = delete;
  BotCore& operator=(const BotCore&) = delete;

  // Makes sure maintenance is scheduled; starts the scheduler's own thread
  // when `background_scheduler` (console tests run due jobs themselves, at
  // moments they choose).
  void start(bool background_scheduler = true);
  // Stops the scheduler, waits for the workers (a dispatcher stopped first
  // has left what it did not start in the inbox), then writes what the
  // inbox has queued and ends its leases, so another instance or the next
  // start takes up what is unfinished at once.
  void stop();
  // The same for a process that exits with handlers still running past
  // its grace: they are not waited for, and stay unfinished in the inbox.
  void stop_leaving_handlers();

  // Who is admin and the bot's own id, filled in once known.
  Roles& roles();
  Dispatcher& dispatcher();
  const Dispatcher& dispatcher() const;
  JobScheduler& scheduler();
  const EnvelopeRouter& router() const;

  // The metrics of this bot's parts (the process's registry aside): what
  // the dispatcher, the inbox and the scheduler counted, the handler queue,
  // and the nudges and dialogs under way (read from the store at most every
  // ten seconds, so frequent scrapes cost it nothing).
  void write_metrics(metrics::Exposition& out);
  // Whether the store answers a trivial query now; the error when not.
  std::optional<std::string> store_problem();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace ff
