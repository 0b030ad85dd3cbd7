#include "bot/app/console_bot.hpp"

namespace ff {

ConsoleBot::ConsoleBot(const Config& config, const PromptLibrary& library, store::SqlStore& store,
                       MovableClock& clock, std::ostream& out)
    : clock_(clock), out_(out), workspace_(out), core_(config, library, store, workspace_, clock) {
  // The person at the terminal runs this workspace: they are its admin.
  core_.roles().admins.push_back(ConsoleWorkspace::kUser);
  core_.roles().bot_user_id = ConsoleWorkspace::kBotUser;
}

int ConsoleBot::run(std::istream& in, bool interactive, bool background_scheduler,
                    const std::atomic<bool>* stop, std::function<void()> before_reading) {
  core_.start(background_scheduler);
  ConsoleOptions options;
  options.interactive = interactive;
  options.stop_requested = stop;
  options.before_reading = std::move(before_reading);
  options.movable_clock = &clock_;
  options.run_due_jobs = [this] { core_.scheduler().run_due(); };
  const int exit_code = run_console(core_.dispatcher(), workspace_, in, out_, options);
  // Only the scheduler's thread stops here; the workers stay for another
  // run and stop with the core.
  core_.scheduler().stop();
  return exit_code;
}

}  // namespace ff
