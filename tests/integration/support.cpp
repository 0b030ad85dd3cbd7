#include "integration/support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ff::testing {

Config test_config(const FakeSlack& slack, int connections) {
  Config c;
  c.app_token = slack.options().app_token;
  c.bot_token = slack.options().bot_token;
  c.api_url = slack.api_url();
  c.socket_mode.connections = connections;
  c.socket_mode.ack_deadline = 100ms;
  c.socket_mode.ping_interval = 150ms;
  c.socket_mode.pong_timeout = 300ms;
  c.socket_mode.reconnect_min = 20ms;
  c.socket_mode.reconnect_max = 200ms;
  c.socket_mode.refresh_drain = 500ms;
  c.api_timeout = 3000ms;
  c.workers = 2;
  c.random_seed = 1;
  c.prompt_files = {std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml",
                    std::string(FF_SOURCE_DIR) + "/prompts/flows.toml"};
  c.database = ":memory:";  // tests about durability name a file
  return c;
}

const PromptLibrary& shipped_prompts() {
  static const PromptLibrary library =
      PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml",
                           std::string(FF_SOURCE_DIR) + "/prompts/flows.toml"});
  return library;
}

RunningBot::RunningBot(const FakeSlack&, Config c, const Clock& clock)
    : config(std::move(c)),
      store(store::SqlStore::open(config.database, {}, clock)),
      prompts(PromptLibrary::load(config.prompt_files)),
      bot(std::make_unique<SlackBot>(config, prompts, *store, clock)) {
  bot->start();
}

namespace {
Config with_admin(Config config) {
  config.admins = {"U0CAROL"};
  return config;
}
}  // namespace

ConnectedBot::ConnectedBot() : bot(slack, with_admin(test_config(slack))) {
  if (!slack.wait_for_open_connections(1, 5s) || !bot.bot->client().wait_until_live(1, 5s)) {
    throw std::runtime_error("the bot did not connect to the fake");
  }
  if (const auto refused = bot.bot->verify_bot_token()) throw std::runtime_error(*refused);
  c = slack.open_connections().front();
}

std::optional<std::string> button_value(const nlohmann::json& message,
                                        const std::string& action_id) {
  if (message.is_object() && message.value("action_id", "") == action_id &&
      message.contains("value")) {
    return message["value"].get<std::string>();
  }
  if (message.is_structured()) {
    for (const auto& part : message) {
      if (auto found = button_value(part, action_id)) return found;
    }
  }
  return std::nullopt;
}

std::string propose_and_post(FakeSlack& slack, int connection, const std::string& text,
                             const std::string& user) {
  const auto ack = slack.wait_for_ack(
      slack.send_slash_command(connection, "/initiative", text, true, {}, user), 5s);
  if (!ack) throw std::runtime_error("/initiative was not acked");
  const auto draft = button_value(*ack, "initiative_draft_post");
  if (!draft) return ack->dump();
  const std::size_t before = slack.calls("response_url").size();
  slack.send_block_action(connection, "initiative_draft_post", *draft, user);
  if (!slack.wait_for_calls("response_url", before + 1, 5s)) {
    throw std::runtime_error("Post on the preview was not answered");
  }
  return slack.calls("response_url").at(before).body;
}

std::string make_temp_folder() {
  char name[] = "/tmp/ff-test-XXXXXX";
  if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
  return name;
}

namespace {
std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

std::map<std::string, std::string> slack_environment(const FakeSlack& slack) {
  return {{"SLACK_APP_TOKEN", slack.options().app_token},
          {"SLACK_BOT_TOKEN", slack.options().bot_token},
          {"SLACK_API_URL", slack.api_url()}};
}

ChildProcess::ChildProcess(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env,
                           const std::string& stdin_text, const std::string& program, Stdin input)
    : folder_(make_temp_folder()) {
  if (input == Stdin::kStaysOpen) {
    // A FIFO held open for writing here: the child's reads wait, as on a
    // terminal, instead of seeing the end of input.
    const std::string fifo = folder_ + "/stdin";
    if (mkfifo(fifo.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    stdin_writer_ = open(fifo.c_str(), O_RDWR);
    if (stdin_writer_ < 0) throw std::runtime_error("cannot open the stdin FIFO");
    if (!stdin_text.empty() && write(stdin_writer_, stdin_text.data(), stdin_text.size()) !=
                                   static_cast<ssize_t>(stdin_text.size())) {
      throw std::runtime_error("cannot write the child's input");
    }
  } else {
    std::ofstream(folder_ + "/stdin") << stdin_text;
  }
  // Only PATH and HOME are inherited, so tokens from the test's own
  // environment cannot leak in.
  std::vector<std::string> environment;
  if (const char* path = std::getenv("PATH")) environment.push_back(std::string("PATH=") + path);
  environment.push_back("HOME=" + folder_);
  for (const auto& [k, v] : env) environment.push_back(k + "=" + v);

  // Everything the child needs is made here, before fork: the child of a
  // process with threads may only make async-signal-safe calls until it
  // execs (a malloc there can wait forever on a lock another thread held
  // at the fork; under AddressSanitizer it does).
  const std::string in_path = folder_ + "/stdin";
  const std::string out_path = folder_ + "/stdout";
  const std::string err_path = folder_ + "/stderr";
  std::string binary = program;
  std::vector<std::string> copies = args;
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  sigset_t none;
  sigemptyset(&none);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int in = open(in_path.c_str(), O_RDONLY);
    if (stdin_writer_ >= 0) close(stdin_writer_);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // A bot's default database file lands in the child's own folder.
    if (chdir(folder_.c_str()) != 0) _exit(126);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (stdin_writer_ >= 0) close(stdin_writer_);
  std::system(("rm -rf " + folder_).c_str());
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    const int r = waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(10ms);
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return 128 + WTERMSIG(status_);
}

void ChildProcess::signal(int number) {
  kill(pid_, number);
}
std::string ChildProcess::out() const {
  return read_file(folder_ + "/stdout");
}
std::string ChildProcess::err() const {
  return read_file(folder_ + "/stderr");
}

}  // namespace ff::testing
