#pragma once

#include <atomic>
#include <functional>
#include <iosfwd>

#include "bot/app/bot_core.hpp"
#include "bot/console/console.hpp"

namespace ff {

// The bot in console mode: the same BotCore as in Slack mode, given the
// terminal's stand-in for a workspace and a clock the person can move.
class ConsoleBot {
 public:
  ConsoleBot(const Config& config, const PromptLibrary& library, store::SqlStore& store,
             MovableClock& clock, std::ostream& out);

  // Reads lines until end of input or quit. With `background_scheduler`
  // jobs also run between lines (a reminder shows while the person reads);
  // without, only before each prompt, which keeps a scripted run's output
  // in one order.
  // `stop` and `before_reading` as in ConsoleOptions: how a signal ends the
  // session.
  int run(std::istream& in, bool interactive, bool background_scheduler,
          const std::atomic<bool>* stop = nullptr, std::function<void()> before_reading = {});

  ConsoleWorkspace& workspace() { return workspace_; }
  BotCore& core() { return core_; }

 private:
  MovableClock& clock_;
  std::ostream& out_;
  ConsoleWorkspace workspace_;
  BotCore core_;
};

}  // namespace ff
