#include <catch2/catch.hpp>

#include <sstream>

#include "bot/console.hpp"
#include "commands/commands.hpp"

using namespace ff;

namespace {
struct ConsoleSession {
  PromptLibrary library =
      PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml"});
  std::ostringstream out;
  ConsoleWorkspace workspace{out};
  std::unique_ptr<store::SqlStore> store =
      store::SqlStore::open(":memory:", {}, SystemClock::instance());
  PromptPicker picker{library, 42, *store, SystemClock::instance()};
  Services services{workspace,
                    library,
                    picker,
                    SystemClock::instance(),
                    *store,
                    store->jobs(),
                    *store,
                    *store,
                    *store,
                    {ConsoleWorkspace::kUser},
                    ConsoleWorkspace::kBotUser};
  EnvelopeRouter router;
  ConsoleSession() { commands::register_all(router, services); }

  std::string run(const std::string& input) {
    std::istringstream in(input);
    CHECK(run_console(router, workspace, in, out, false) == 0);
    return out.str();
  }
};

bool is_question_of(const PromptLibrary& library, const std::string& output,
                    const std::string& category) {
  for (const auto* p : library.in_category(category)) {
    if (output.find(p->text) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("console: /coach prints a question with a numbered button") {
  ConsoleSession s;
  const std::string out = s.run("/coach strategy\n");
  CHECK(is_question_of(s.library, out, "strategy"));
  CHECK(out.find("[1] Another question") != std::string::npos);
  CHECK(out.find("(#general)") != std::string::npos);
}

TEST_CASE("console: pressing a button replaces the question with another of its category") {
  ConsoleSession s;
  const std::string out = s.run("/coach customers\n1\n");
  CHECK(out.find("replacing the previous message") != std::string::npos);
  CHECK(out.find("[3] Another question") != std::string::npos);
  const auto second = out.substr(out.find("replacing the previous message"));
  CHECK(is_question_of(s.library, second, "customers"));
}

TEST_CASE("console: help in a direct message, unknown input and unknown buttons") {
  ConsoleSession s;
  const std::string out = s.run("help\n/coach nonsense\n7\n/unknown\n");
  CHECK(out.find("(direct message)") != std::string::npos);
  CHECK(out.find("/coach <category>") != std::string::npos);
  CHECK(out.find("I don't know the category `nonsense`") != std::string::npos);
  CHECK(out.find("There is no button 7") != std::string::npos);
  CHECK(out.find("I don't know the command `/unknown`") != std::string::npos);
  CHECK(out.find("Bye.") != std::string::npos);
}

TEST_CASE("console: hostile text is shown as text, never as a broadcast") {
  ConsoleSession s;
  // What reaches Slack is escaped; the terminal shows it as the user typed it.
  const std::string out = s.run("/coach <!channel>\n");
  CHECK(out.find("`<!channel>`") != std::string::npos);
}

TEST_CASE("console: a tampered button value is refused") {
  ConsoleSession s;
  BlockAction a;
  a.action_id = "coach_another";
  a.value = "no-such-category";
  a.channel_id = ConsoleWorkspace::kChannel;
  const Reply r = s.router.route(a);
  REQUIRE(r.message);
  CHECK(r.message->text.find("looks altered") != std::string::npos);
}
