// A person's own data, from Slack and from the operator's command line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

// The fake's slash commands and button presses come from this person.
constexpr const char* kAlice = "U0ALICE";

std::string text_of(const nlohmann::json& ack) {
  return ack.contains("payload") ? ack["payload"].dump() : std::string();
}

void fill_for(store::SqlStore& state, const std::string& user) {
  state.record_decision(
      {0, user, "C1", "move the stand-up <!channel>", "no", SystemClock::instance().now(), {}});
  state.put_profile({user, "Europe/Paris", 3600, "Alice", SystemClock::instance().now()});
}

std::string bytes_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream out;
  out << file.rdbuf();
  return out.str();
}

// Alice and Bob each have data; the bot runs against the fake.
struct TwoPeople {
  FakeSlack slack;
  RunningBot bot{slack};
  int connection = -1;
  TwoPeople() {
    fill_for(*bot.store, kAlice);
    fill_for(*bot.store, "U0BOB");
    REQUIRE(slack.wait_for_open_connections(1, 5s));
    connection = slack.open_connections().front();
  }
};

}  // namespace

TEST_CASE_METHOD(TwoPeople,
                 "/coach my-data shows the caller only their own data, escaped and ephemeral") {
  const int c = connection;
  const auto ack = slack.wait_for_ack(slack.send_slash_command(c, "/coach", "my-data"), 5s);
  REQUIRE(ack);
  const std::string shown = text_of(*ack);
  CHECK((*ack)["payload"]["response_type"] == "ephemeral");
  CHECK(shown.find("sixmonth decisions: 1") != std::string::npos);
  CHECK(shown.find("Europe/Paris") != std::string::npos);
  CHECK(shown.find("&lt;!channel&gt;") != std::string::npos);
  CHECK(shown.find("<!channel>") == std::string::npos);
  CHECK(shown.find("U0BOB") == std::string::npos);
}

TEST_CASE_METHOD(TwoPeople,
                 "/coach forget-me deletes the caller's data only after their own press") {
  const int c = connection;
  const auto offer = slack.wait_for_ack(slack.send_slash_command(c, "/coach", "forget-me"), 5s);
  REQUIRE(offer);
  CHECK(text_of(*offer).find("my_data_forget") != std::string::npos);

  // A button made for Bob, pressed by Alice, deletes nothing.
  slack.send_block_action(c, "my_data_forget", "U0BOB");
  REQUIRE(slack.wait_for_calls("response_url", 1, 5s));
  CHECK(slack.calls("response_url").back().body.find("made for someone else") != std::string::npos);
  CHECK(bot.store->decisions_of("U0BOB").size() == 1);
  CHECK(bot.store->decisions_of(kAlice).size() == 1);

  slack.send_block_action(c, "my_data_forget", kAlice);
  REQUIRE(slack.wait_for_calls("response_url", 2, 5s));
  // The count is the real one, by kind.
  const std::string done = slack.calls("response_url").back().body;
  CHECK(done.find("I deleted 2 records about you") != std::string::npos);
  CHECK(done.find("sixmonth decisions: 1") != std::string::npos);
  CHECK(done.find("user profiles: 1") != std::string::npos);
  CHECK(bot.store->decisions_of(kAlice).empty());
  CHECK_FALSE(bot.store->profile(kAlice));
  CHECK(bot.store->decisions_of("U0BOB").size() == 1);
}

TEST_CASE("binary: export prints a person's data as JSON and forget deletes it") {
  const std::string folder = make_temp_folder();
  const std::string database = folder + "/state.db";
  {
    auto state = store::SqlStore::open(database, {}, SystemClock::instance());
    fill_for(*state, kAlice);
  }
  ChildProcess exported({"--db", database, "export", "--user", kAlice}, {});
  REQUIRE(exported.wait(10s) == 0);
  const auto json = nlohmann::json::parse(exported.out());
  CHECK(json["user_id"] == kAlice);
  CHECK(json["sixmonth_decisions"].size() == 1);
  CHECK(json["user_profiles"][0]["time_zone"] == "Europe/Paris");

  ChildProcess forgotten({"forget", "--user", kAlice, "--db", database}, {});
  REQUIRE(forgotten.wait(10s) == 0);
  CHECK(nlohmann::json::parse(forgotten.out())["removed"]["sixmonth_decisions"] == 1);

  ChildProcess again({"--db", database, "export", "--user", kAlice}, {});
  REQUIRE(again.wait(10s) == 0);
  CHECK(nlohmann::json::parse(again.out())["sixmonth_decisions"].empty());

  ChildProcess bad_id({"--db", database, "export", "--user", "alice; DROP TABLE"}, {});
  CHECK(bad_id.wait(10s) == 2);
  CHECK(bad_id.out().find("is not a Slack user id") != std::string::npos);
  std::filesystem::remove_all(folder);
}

TEST_CASE("binary: a damaged database file stops the bot with exit code 4 and keeps its bytes") {
  const std::string folder = make_temp_folder();
  const std::string database = folder + "/state.db";
  std::ofstream(database, std::ios::binary) << std::string(8192, '\x42');
  const std::string before = bytes_of(database);
  ChildProcess console({"--db", database}, {}, "/coach\n");
  CHECK(console.wait(10s) == 4);
  CHECK(console.err().find("cannot be read") != std::string::npos);
  CHECK(console.err().find(database) != std::string::npos);
  CHECK(bytes_of(database) == before);
  ChildProcess check({"--check-config", "--db", database}, {});
  CHECK(check.wait(10s) == 4);
  CHECK(bytes_of(database) == before);
  std::filesystem::remove_all(folder);
}
