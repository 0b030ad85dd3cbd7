#include <catch2/catch.hpp>

#include <sstream>

#include <date/date.h>

#include "bot/app/console_bot.hpp"
#include "bot/console/console.hpp"
#include "bot/slack/envelope.hpp"

using namespace ff;

namespace {
// Console mode as main() runs it, on the same BotCore as Slack mode: scripted
// input, no background scheduler (due jobs run before each prompt, so the
// output comes in one order), and the console's movable clock.
struct ConsoleSession {
  PromptLibrary library =
      PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml",
                           std::string(FF_SOURCE_DIR) + "/prompts/flows.toml"});
  std::ostringstream out;
  MovableClock clock;
  bool on_a_tuesday = (clock.advance(until_tuesday_morning()), true);
  std::unique_ptr<store::SqlStore> store = store::SqlStore::open(":memory:", {}, clock);
  Config config = console_config();
  ConsoleBot bot{config, library, *store, clock, out};

  // The console's clock runs on from real time. Each session starts on the
  // coming Tuesday at 10:00 UTC, so what a test sees (quiet hours, weekends,
  // a reminder a week on) does not depend on when the suite runs.
  static std::chrono::nanoseconds until_tuesday_morning() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    date::sys_days day = date::floor<date::days>(now) + date::days{1};
    while (date::weekday{day} != date::Tuesday) day += date::days{1};
    return day + hours{10} - now;
  }

  static Config console_config() {
    Config c;
    c.console = true;
    c.database = ":memory:";
    c.random_seed = 42;
    return c;
  }

  std::string run(const std::string& input) {
    std::istringstream in(input);
    CHECK(bot.run(in, false, false) == 0);
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

TEST_CASE("console: a button is pressed as [3] too, as it is printed, also as someone else") {
  ConsoleSession s;
  const std::string out = s.run(
      "/coach customers\n[1]\n/nit @alex the summary could lead with the decision\n"
      "as alex: [6]\n[99]\n");
  CHECK(out.find("(#general, replacing the previous message)") != std::string::npos);
  CHECK(out.find("[3] Another question") != std::string::npos);
  CHECK(out.find("[5] Thanks, noted [6] Let's discuss") != std::string::npos);
  CHECK(out.find("@alex would like to discuss your feedback") != std::string::npos);
  CHECK(out.find("There is no button 99.") != std::string::npos);
}

TEST_CASE("console: half a pair of brackets is not a press but a message to the bot") {
  ConsoleSession s;
  const std::string out = s.run("/coach customers\n[1\n1]\n[]\n");
  CHECK(out.find("replacing the previous message") == std::string::npos);
  CHECK(out.find("There is no button") == std::string::npos);
  std::size_t direct_messages = 0;
  for (auto at = out.find("(direct message)"); at != std::string::npos;
       at = out.find("(direct message)", at + 1)) {
    ++direct_messages;
  }
  CHECK(direct_messages == 3);
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
  const Reply r = s.bot.core().router().route(a);
  REQUIRE(r.message);
  CHECK(r.message->text.find("looks altered") != std::string::npos);
}

TEST_CASE("console: /coach @alex sends alex a question, /coach me shows one only to you") {
  ConsoleSession s;
  const std::string out = s.run("/coach @alex should we rewrite the importer?\n/coach me gap\n");
  CHECK(out.find("(direct message to @alex)") != std::string::npos);
  CHECK(out.find("@you would rather ask you a question") != std::string::npos);
  CHECK(out.find("Sent @alex a question instead of an answer") != std::string::npos);
  CHECK(out.find("Only you see this question.") != std::string::npos);
  CHECK(s.run("/coach @nobody hello\n").find("couldn't tell who") != std::string::npos);
}

TEST_CASE("console: /nit reaches alex, who answers as themselves, and nobody else can") {
  ConsoleSession s;
  const std::string out =
      s.run("/nit @alex the summary could lead with the decision\n1\nas alex: 2\nas alex: 1\n");
  CHECK(out.find("Non-blocking feedback from @you") != std::string::npos);
  CHECK(out.find("Only @alex can answer this feedback.") != std::string::npos);
  CHECK(out.find("@alex would like to discuss your feedback") != std::string::npos);
  CHECK(out.find("You already answered this one.") != std::string::npos);
}

TEST_CASE("console: /sixmonths, then feedback through the form, answered on the next line") {
  ConsoleSession s;
  const std::string out = s.run(
      "/sixmonths which CI provider we move to\n2\n4\n@sam\n@sam the plan needs an owner\n"
      "/coach stats\n");
  CHECK(out.find("Will this matter to you in six months?") != std::string::npos);
  CHECK(out.find("so let someone else lead it") != std::string::npos);
  CHECK(out.find("Non-blocking feedback (a form)") != std::string::npos);
  CHECK(out.find("! What would you like to tell them?") != std::string::npos);  // empty, kept open
  CHECK(out.find("(direct message to @sam)") != std::string::npos);
  CHECK(out.find("Feedback given: 1, non-blocking: 1 (100%)") != std::string::npos);
  CHECK(out.find("followed 1, led 0") != std::string::npos);
}

TEST_CASE("console: a form alex opens is alex's, and what only alex sees is labelled so") {
  ConsoleSession s;
  const std::string out = s.run(
      "as alex: /sixmonths which CI provider we move to\nas alex: 2\nas alex: 4\n"
      "@sam this line is mine, not an answer to alex's form\n"
      "as alex: @sam the plan needs an owner\n");
  CHECK(out.find("(#general, only visible to @alex)") != std::string::npos);
  CHECK(out.find("Non-blocking feedback (a form for @alex)") != std::string::npos);
  CHECK(out.find("as alex: <answer>") != std::string::npos);
  // My line went to the bot as a message of mine; alex's form stayed open
  // and alex's answer sent alex's feedback.
  CHECK(out.find("Non-blocking feedback from @alex") != std::string::npos);
  CHECK(out.find("(direct message to @sam)") != std::string::npos);
  CHECK(out.find("(direct message to @alex)") != std::string::npos);  // alex's "Sent to @sam"
  CHECK(s.store->decisions_of("U0ALEX").size() == 1);
  CHECK(s.store->decisions_of(ConsoleWorkspace::kUser).empty());
}

TEST_CASE("console: a nudge arrives when the clock is moved, snoozes, and is reflected on") {
  ConsoleSession s;
  // Friday 4 Dec 2026, 12:00 in London.
  s.clock.advance(date::sys_days{date::year{2026} / 12 / 4} + std::chrono::hours{12} -
                  s.clock.now());
  const std::string out = s.run(
      "/nudges weekdays 17:00\ntime 16:59\ntime 17:00\n"
      "2\ntime +1h\n5\nThe gap is the release notes.\nAsk Sam to review them.\n/nudges stats\n"
      "time soon\n");
  CHECK(out.find("Next: Friday 4 Dec, 17:00 your time (Europe/London)") != std::string::npos);
  CHECK(out.find("It is now Friday 4 Dec, 16:59 your time") != std::string::npos);
  CHECK(out.find("[1] Reflect now [2] Snooze 1 h [3] Skip this one [4] Pause for a week") !=
        std::string::npos);
  CHECK(out.find("[5] Reflect now") != std::string::npos);  // asked again, an hour later
  CHECK(out.find("Snoozed") != std::string::npos);
  CHECK(out.find("I'll ask again on Friday 4 Dec, 18:00 your time") != std::string::npos);
  // Reflect now starts the dialog on the nudge's question, in the DM.
  CHECK(out.find("*Reflect on a question*") != std::string::npos);
  CHECK(out.find("What is one small step you will take because of it?") != std::string::npos);
  CHECK(out.find(":dart: *Your next step*") != std::string::npos);
  CHECK(out.find("*Ask Sam to review them.*") != std::string::npos);
  CHECK(out.find("2 nudges sent, 1 answered (50%), 1 snoozed") != std::string::npos);
  CHECK(out.find("time +3d, time +2h, time fri 16:00") != std::string::npos);
}

TEST_CASE("console: a coaching dialog from /reflect to the follow-up a week later") {
  ConsoleSession s;
  const std::string out = s.run(
      "/reflect\n2\nWhich CI we move to\nStay on Jenkins\ndone\nMove to GitLab CI\n"
      "done\nback\ndone\nNothing to migrate\nOne system; a month of work\nwhere am I\n"
      "Builds under ten minutes\nGitLab CI\n/coach stats\n");
  // /reflect offers the flows as buttons; [2] is Weigh your options.
  CHECK(out.find("[1] Close a gap [2] Weigh your options [3] Where you followed [4] Lead "
                 "leaders") != std::string::npos);
  CHECK(out.find("*Weigh your options* · step 1 of 5") != std::string::npos);
  CHECK(out.find("Name at least 2 before we go on") != std::string::npos);  // done too early
  CHECK(out.find(":white_check_mark: 2 so far. Another one, or `done`.\n│ [20] Done") !=
        std::string::npos);
  // Back from the first option's question: the list again, with its Done.
  CHECK(out.find("│   • Move to GitLab CI\n│ [29] Done [30] Back") != std::string::npos);
  CHECK(out.find("*Option 2, Move to GitLab CI: what would it give you") != std::string::npos);
  CHECK(out.find("You are in *Weigh your options* · step 4 of 5.") != std::string::npos);
  // The summary, the chosen step standing out; nothing went to #general.
  CHECK(out.find(":dart: *Your next step*\n│ *GitLab CI*") != std::string::npos);
  CHECK(out.find("[54] Share to a channel [55] Remind me in a week") != std::string::npos);
  CHECK(out.find("firstfollower (#general)\n") == std::string::npos);
  CHECK(out.find("Reflections, last 90 days: 1 started, 1 completed, 0 left unfinished, 1 "
                 "action chosen") != std::string::npos);
  // Share opens the form with its preview; the channel goes first on the line.
  const std::string shared = s.run("54\n#general What do you think?\n55\nwait 7d\n");
  CHECK(shared.find("This is what will be posted, under your name:") != std::string::npos);
  CHECK(shared.find("┌ firstfollower (#general)\n│ :seedling: @you shares a reflection: *Weigh "
                    "your options*\n│ > What do you think?") != std::string::npos);
  CHECK(shared.find("Shared to #general.") != std::string::npos);
  // Remind me in a week: when the console's clock gets there, how did it go?
  CHECK(shared.find("how it went.") != std::string::npos);
  CHECK(shared.find("How did it go?\n│ [58] Done it [59] Partly [60] Not yet [61] Write how "
                    "it went") != std::string::npos);
  const std::string followed = s.run("61\nMoved two repos\n/reflect stats\n");
  CHECK(followed.find("Kept with your reflection. Only you see it.") != std::string::npos);
  CHECK(followed.find("1 of 1 follow-up answered") != std::string::npos);
  CHECK(s.store->export_user(ConsoleWorkspace::kUser).dump().find("Moved two repos") !=
        std::string::npos);
}

TEST_CASE("console: an initiative, a lead's nudge, the first follower and closing it") {
  ConsoleSession s;
  const std::string out = s.run(
      "/initiative leads @alex\n/initiative Faster code reviews | two reviewers at most\n"
      "1\nas sam: 7\nas alex: 7\n/endorse 1\nas alex: /initiative done 1\n/initiative done 1\n");
  CHECK(out.find("Leads of this channel: @alex") != std::string::npos);
  CHECK(out.find("[1] Post [2] Edit [3] Cancel") != std::string::npos);  // the preview first
  CHECK(out.find("(direct message to @alex)") != std::string::npos);
  CHECK(out.find("@you started an initiative in #general") != std::string::npos);
  CHECK(out.find("This nudge was for @alex") != std::string::npos);
  CHECK(out.find("First follower: @alex") != std::string::npos);
  CHECK(out.find("your own initiative") != std::string::npos);
  CHECK(out.find("Only @you, who leads it, or an admin") != std::string::npos);
  CHECK(out.find("Marked #1 done") != std::string::npos);
}

TEST_CASE("console: wait moves the clock, and the maintenance Slack mode runs runs here too") {
  ConsoleSession s;
  const auto maintenance_runs = [&s] {
    return s.store->database().read([](store::SqlSession& session) {
      return session
          .run("SELECT count(*) FROM jobs WHERE kind = 'store.maintenance' AND state = 'done'")
          .rows.at(0)
          .integer(0);
    });
  };
  const auto before = s.clock.now();
  const std::string out = s.run("wait 2h\nwait soon\n");
  CHECK(s.clock.now() - before >= std::chrono::hours{2});
  CHECK(out.find("It is now ") != std::string::npos);
  CHECK(out.find("wait moves the console's clock forward") != std::string::npos);
  // Scheduled at start for the next whole hour, run when the clock passed
  // it; that run scheduled the next one.
  CHECK(maintenance_runs() >= 1);
  const auto pending = s.store->database().read([](store::SqlSession& session) {
    return session
        .run("SELECT count(*) FROM jobs WHERE kind = 'store.maintenance' AND state = 'pending'")
        .rows.at(0)
        .integer(0);
  });
  CHECK(pending == 1);
}

TEST_CASE("console: a failing handler is answered by the dispatcher, as in Slack mode") {
  ConsoleSession s;
  // A closed database makes every store call fail: the person hears it once,
  // from the one place that catches what a handler lets escape.
  s.store->database().read([](store::SqlSession& session) {
    session.run("DROP TABLE prompt_history");
    return 0;
  });
  const std::string out = s.run("/coach stats\n");
  CHECK(out.find("I can't reach my database right now") != std::string::npos);
}

TEST_CASE("console: the longest decision, of the characters JSON escapes, still gets its buttons") {
  ConsoleSession s;
  // Quotes double in the buttons' JSON value, control characters would
  // grow sixfold: the value must stay whole within Slack's 2,000.
  std::string decision(250, '"');
  for (int i = 0; i < 250; ++i) decision += '\x01';
  const std::string out = s.run("/sixmonths " + decision + "\n1\n");
  CHECK(out.find("Will this matter to you in six months?") != std::string::npos);
  CHECK(out.find("It matters to you, so lead it.") != std::string::npos);
  CHECK(out.find("Sorry, something went wrong") == std::string::npos);
}

TEST_CASE("console: its made-up people, channels and team have ids Slack mode accepts") {
  for (const auto& person : ConsoleWorkspace::people()) {
    CHECK(is_slack_id(person.id, SlackIdKind::kUser));
    // A button in a DM with them carries the DM's id.
    CHECK(is_slack_id(ConsoleWorkspace::direct_message_with(person.id), SlackIdKind::kChannel));
  }
  CHECK(is_slack_id(ConsoleWorkspace::kChannel, SlackIdKind::kChannel));
  CHECK(is_slack_id(ConsoleWorkspace::kDirectMessage, SlackIdKind::kChannel));
  CHECK(is_slack_id(ConsoleWorkspace::kTeam, SlackIdKind::kTeam));
}

TEST_CASE("console: home shows the App Home, and a press on it shows it again, changed") {
  ConsoleSession s;
  const std::string out = s.run(
      "/initiative leads @alex\n/initiative Weekly demos | so we see progress\n1\n"
      "as alex: home\n");
  const auto home = out.rfind("(App Home of @alex)");
  REQUIRE(home != std::string::npos);
  const std::string alex_home = out.substr(home);
  CHECK(alex_home.find("== Waiting for you ==") != std::string::npos);
  CHECK(alex_home.find("*#1 Weekly demos*") != std::string::npos);
  // Its Endorse button, pressed as alex: the card is updated, and the
  // Home printed again has nothing waiting.
  const auto endorse = alex_home.find("] Endorse ");
  REQUIRE(endorse != std::string::npos);
  const auto open = alex_home.rfind('[', endorse);
  const std::string number = alex_home.substr(open + 1, endorse - open - 1);
  ConsoleSession again;
  const std::string after = again.run(
      "/initiative leads @alex\n/initiative Weekly demos | so we see progress\n1\n"
      "as alex: home\nas alex: " +
      number + "\n");
  const std::string last_home = after.substr(after.rfind("(App Home of @alex)"));
  CHECK(last_home.find("Nothing waits for your endorsement") != std::string::npos);
  CHECK(after.find("Endorsed by @alex") != std::string::npos);
}
