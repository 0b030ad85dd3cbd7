#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/app/config.hpp"
#include "bot/app/slack_bot.hpp"
#include "bot/prompts.hpp"
#include "fake_slack/fake_slack.hpp"

namespace ff::testing {

using namespace std::chrono_literals;

// A configuration pointed at the fake, with keep-alive and back-off shortened
// so fault tests take a second, not a minute.
Config test_config(const FakeSlack& slack, int connections = 1);
const PromptLibrary& shipped_prompts();

// The real SlackBot, in process, against the fake.
struct RunningBot {
  explicit RunningBot(const FakeSlack& slack, Config config,
                      const Clock& clock = SystemClock::instance());
  explicit RunningBot(const FakeSlack& slack, int connections = 1)
      : RunningBot(slack, test_config(slack, connections)) {}
  ~RunningBot() { bot->shutdown(1s); }
  Config config;
  std::unique_ptr<store::SqlStore> store;
  PromptLibrary prompts;  // from config.prompt_files, the shipped ones by default
  std::unique_ptr<SlackBot> bot;
};

// The variables that point the real binary at the fake.
std::map<std::string, std::string> slack_environment(const FakeSlack& slack);

// The bot against the fake, connected and live, knowing its own user id,
// with U0CAROL as its admin: what the feature tests start from.
struct ConnectedBot {
  ConnectedBot();
  FakeSlack slack;
  RunningBot bot;
  int c = -1;  // the open connection
};

// Proposes an initiative with /initiative from `user` and presses Post on the
// preview, as its author would. Returns the bot's answer to the press, or its
// answer to the command when that showed no preview (a refusal).
std::string propose_and_post(FakeSlack& slack, int connection, const std::string& text,
                             const std::string& user = "U0ALICE");
// The value of the first button with `action_id` in a message, if any.
std::optional<std::string> button_value(const nlohmann::json& message,
                                        const std::string& action_id);

// Whether the child's input ends after the text given (a file), or stays
// open like a terminal nobody types in (a pipe this process holds).
enum class Stdin { kEndsAfterText, kStaysOpen };

// A child process of the real binary (or of `program`), its output captured
// to files, run in a folder of its own.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               const std::string& stdin_text = {}, const std::string& program = FF_BINARY,
               Stdin input = Stdin::kEndsAfterText);
  ~ChildProcess();
  // Waits up to `timeout`; returns the exit code, or -1 when it did not exit.
  int wait(std::chrono::milliseconds timeout);
  void signal(int number);
  std::string out() const;
  std::string err() const;
  int pid() const { return pid_; }
  const std::string& folder() const { return folder_; }

 private:
  int pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  int stdin_writer_ = -1;  // with Stdin::kStaysOpen
  std::string folder_;
};

std::string make_temp_folder();

}  // namespace ff::testing
