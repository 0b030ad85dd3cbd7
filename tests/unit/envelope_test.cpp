#include <catch2/catch.hpp>

#include "bot/slack/envelope.hpp"
#include "bot/slack/slack_api.hpp"

using namespace ff;

TEST_CASE("hello frame is parsed with its connection time") {
  const auto frame = parse_frame(
      R"({"type":"hello","num_connections":2,"debug_info":{"host":"h","build_number":1,"approximate_connection_time":18060},"connection_info":{"app_id":"A1"}})");
  const auto* hello = std::get_if<Hello>(&frame);
  REQUIRE(hello != nullptr);
  CHECK(hello->num_connections == 2);
  CHECK(hello->approximate_connection_time_s == 18060);
  CHECK(hello->app_id == "A1");
}

TEST_CASE("disconnect frame carries its reason") {
  const auto frame = parse_frame(R"({"type":"disconnect","reason":"refresh_requested"})");
  REQUIRE(std::get_if<Disconnect>(&frame) != nullptr);
  CHECK(std::get<Disconnect>(frame).reason == "refresh_requested");
}

TEST_CASE("slash command envelope is parsed field for field") {
  const auto frame =
      parse_frame(R"({"envelope_id":"e1","type":"slash_commands","accepts_response_payload":true,
    "payload":{"token":"x","team_id":"T0TEAM","team_domain":"d","channel_id":"C0GENERAL","channel_name":"general",
    "user_id":"U0ANN","user_name":"ann","command":"/coach","text":"strategy","api_app_id":"A1",
    "is_enterprise_install":"false","response_url":"https://hooks.slack.com/commands/1","trigger_id":"t1"}})");
  const auto* envelope = std::get_if<Envelope>(&frame);
  REQUIRE(envelope != nullptr);
  CHECK(envelope->accepts_response_payload);
  const auto& command = std::get<SlashCommand>(envelope->request);
  CHECK(command.command == "/coach");
  CHECK(command.text == "strategy");
  CHECK(command.user_id == "U0ANN");
  CHECK(command.response_url == "https://hooks.slack.com/commands/1");
}

TEST_CASE("block_actions, views, shortcuts and events are typed") {
  auto frame =
      parse_frame(R"({"envelope_id":"e2","type":"interactive","payload":{"type":"block_actions",
    "user":{"id":"U0ANN"},"team":{"id":"T0TEAM"},"channel":{"id":"C0GENERAL"},"container":{"type":"message","message_ts":"1.2"},
    "response_url":"https://hooks/x","trigger_id":"t","actions":[{"action_id":"coach_another","block_id":"b","value":"gap"}]}})");
  const auto& action = std::get<BlockAction>(std::get<Envelope>(frame).request);
  CHECK(action.action_id == "coach_another");
  CHECK(action.value == "gap");
  CHECK(action.message_ts == "1.2");

  frame =
      parse_frame(R"({"envelope_id":"e3","type":"interactive","payload":{"type":"view_submission",
    "user":{"id":"U0ANN"},"view":{"id":"V1","callback_id":"nit_modal","private_metadata":"m","state":{"values":{"b":{"a":{"value":"x"}}}}}}})");
  const auto& view = std::get<ViewSubmission>(std::get<Envelope>(frame).request);
  CHECK(view.callback_id == "nit_modal");
  CHECK(view.form.text("b", "a") == "x");
  CHECK(view.form.text("b", "missing").empty());

  frame = parse_frame(
      R"({"envelope_id":"e4","type":"events_api","retry_attempt":1,"retry_reason":"timeout",
    "payload":{"type":"event_callback","event_id":"Ev1","team_id":"T0TEAM","event":{"type":"message","channel_type":"im","user":"U0ANN","channel":"D0ANN","text":"help","ts":"1.0"}}})");
  const auto& envelope = std::get<Envelope>(frame);
  CHECK(envelope.retry_attempt == 1);
  const auto& event = std::get<Event>(envelope.request);
  CHECK(event.event_id == "Ev1");
  CHECK(event.channel_type == "im");
  CHECK(describe(envelope.request) == "event:message");
}

TEST_CASE("malformed frames are reported, with the envelope id when it is readable") {
  CHECK(std::get<MalformedFrame>(parse_frame("{not json")).reason == "invalid JSON");
  CHECK(std::get<MalformedFrame>(parse_frame("[1,2]")).envelope_id.empty());
  const auto missing_id = parse_frame(R"({"type":"slash_commands","payload":{}})");
  CHECK(std::get<MalformedFrame>(missing_id).envelope_id.empty());
  const auto bad_payload =
      parse_frame(R"({"envelope_id":"e9","type":"slash_commands","payload":{"command":"coach"}})");
  CHECK(std::get<MalformedFrame>(bad_payload).envelope_id == "e9");
  const auto unknown = parse_frame(R"({"envelope_id":"e10","type":"mystery","payload":{}})");
  CHECK(std::get<MalformedFrame>(unknown).envelope_id == "e10");
  const auto wrong_types = parse_frame(
      R"({"envelope_id":"e11","type":"slash_commands","payload":{"command":7,"user_id":[],"channel_id":{}}})");
  CHECK(std::holds_alternative<MalformedFrame>(wrong_types));
}

TEST_CASE("an oversized field is refused rather than carried through") {
  const std::string huge(100 * 1024, 'x');
  const auto frame = parse_frame(
      R"({"envelope_id":"e12","type":"slash_commands","payload":{"command":"/coach","user_id":"U0ANN","channel_id":"C0GENERAL","text":")" +
      huge + R"("}})");
  CHECK(std::get<MalformedFrame>(frame).envelope_id == "e12");
}

TEST_CASE("a frame nested too deep is refused before parsing, and still acked") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto frame = parse_frame(
      R"({"envelope_id":"e-deep","type":"interactive","payload":{"view":)" + deep + "}}");
  const auto* bad = std::get_if<MalformedFrame>(&frame);
  REQUIRE(bad != nullptr);
  CHECK(bad->envelope_id == "e-deep");
  CHECK(bad->reason.find("nested deeper") != std::string::npos);
  // Brackets inside strings are text, not nesting.
  const auto quoted =
      parse_frame(R"({"type":"disconnect","reason":")" + std::string(500, '[') + R"("})");
  CHECK(std::get_if<Disconnect>(&quoted) != nullptr);
}

TEST_CASE("a frame that does not parse is acked when its envelope id can be read") {
  const auto surrogate =
      parse_frame(R"({"envelope_id":"e-sur","type":"slash_commands","payload":{"text":"\ud800"}})");
  const auto* bad = std::get_if<MalformedFrame>(&surrogate);
  REQUIRE(bad != nullptr);
  CHECK(bad->envelope_id == "e-sur");
  // An id that is not plain text is not trusted.
  const auto odd = parse_frame(R"({"envelope_id":"<!channel>", "type":)");
  REQUIRE(std::get_if<MalformedFrame>(&odd) != nullptr);
  CHECK(std::get<MalformedFrame>(odd).envelope_id.empty());
  CHECK(std::get<MalformedFrame>(parse_frame("{not json")).envelope_id.empty());
}

TEST_CASE("form values are read once into types, and odd shapes are left out, not fatal") {
  const auto form = FormValues::from_json(nlohmann::json::parse(R"({
    "nit_to": {"user": {"type": "users_select", "selected_user": "U0SAM"}},
    "nit_text": {"text": {"type": "plain_text_input", "value": "lead with the decision"}},
    "nit_blocking": {"blocking": {"type": "checkboxes",
                                  "selected_options": [{"value": "blocking"}, 7, {"value": 3}]}},
    "odd": {"a": "not an object", "b": {"value": 12, "selected_user": null}},
    "odder": []
  })"));
  CHECK(form.selected_user("nit_to", "user") == "U0SAM");
  CHECK(form.text("nit_text", "text") == "lead with the decision");
  REQUIRE(form.field("nit_blocking", "blocking"));
  CHECK(form.field("nit_blocking", "blocking")->selected_options ==
        std::vector<std::string>{"blocking"});
  CHECK(form.any_selected("nit_blocking", "blocking"));
  CHECK_FALSE(form.any_selected("nit_text", "text"));
  CHECK(form.field("odd", "a") == nullptr);
  REQUIRE(form.field("odd", "b"));
  CHECK(form.text("odd", "b").empty());
  CHECK(FormValues::from_json(nlohmann::json::array()).field("x", "y") == nullptr);
}

TEST_CASE("a users.info answer is read once into a SlackUser") {
  const auto alex = SlackUser::from_json(nlohmann::json::parse(
      R"({"id":"U0ALEX","name":"alex","tz":"Europe/Berlin","tz_offset":3600,"is_bot":false})"));
  REQUIRE(alex);
  CHECK(alex->time_zone == "Europe/Berlin");
  CHECK(alex->tz_offset == 3600);
  CHECK_FALSE(alex->deleted);
  const auto odd = SlackUser::from_json(
      nlohmann::json::parse(R"({"id":"U0ODD","tz":5,"tz_offset":99999999,"deleted":"yes"})"));
  REQUIRE(odd);
  CHECK(odd->time_zone.empty());  // no zone Slack gave: the caller picks the default
  CHECK(odd->tz_offset == 0);
  CHECK_FALSE(odd->deleted);
  CHECK_FALSE(SlackUser::from_json(nlohmann::json::parse(R"({"name":"no id"})")));
}

TEST_CASE("Slack ids: a letter for the kind, then 2 to 20 upper-case letters or digits") {
  for (const char* id : {"U0ALICE", "W012AB3CD", "B0BOT", "U12", "U12345678901234567890"}) {
    CHECK(is_slack_id(id, SlackIdKind::kUser));
  }
  for (const char* id : {"C0GENERAL", "G0PRIVATE", "D0ALICE"}) {
    CHECK(is_slack_id(id, SlackIdKind::kChannel));
  }
  for (const char* id : {"T0FAKE", "E0GRID"}) CHECK(is_slack_id(id, SlackIdKind::kTeam));

  for (const char* id :
       {"", "U", "U1", "u0alice", "U0alice", "X0ALICE", "C0GENERAL", "U123456789012345678901",
        "U0ALICE ", "U0AL-ICE", "U0ALICE|x", "<@U0ALICE>", "U0ALICE\n"}) {
    CHECK_FALSE(is_slack_id(id, SlackIdKind::kUser));
  }
  CHECK_FALSE(is_slack_id("U0ALICE", SlackIdKind::kChannel));
  CHECK_FALSE(is_slack_id("D0ALICE", SlackIdKind::kTeam));
  CHECK_FALSE(is_slack_id(std::string("U0AL\0CE", 7), SlackIdKind::kUser));
}

namespace {
std::string slash_frame(const std::string& user, const std::string& channel = "C0GENERAL",
                        const std::string& team = "T0TEAM") {
  return nlohmann::json{{"envelope_id", "e-forged"},
                        {"type", "slash_commands"},
                        {"payload",
                         {{"command", "/initiative"},
                          {"user_id", user},
                          {"channel_id", channel},
                          {"team_id", team},
                          {"text", "secret plans"}}}}
      .dump();
}
}  // namespace

TEST_CASE("an envelope with a forged id is refused at the edge, to be acked") {
  for (const auto& frame : {slash_frame("u0ann"), slash_frame("U0ANN", "#general"),
                            slash_frame("U0ANN", "C0GENERAL", "T0TEAM'--")}) {
    const auto parsed = parse_frame(frame);
    const auto* refused = std::get_if<MalformedFrame>(&parsed);
    REQUIRE(refused != nullptr);
    CHECK(refused->forged_id);
    CHECK(refused->envelope_id == "e-forged");
    // The reason names the field, never the rest of the payload.
    CHECK(refused->reason.find("secret plans") == std::string::npos);
  }
  CHECK(std::holds_alternative<Envelope>(parse_frame(slash_frame("U0ANN"))));
  // Optional ids may be missing, not wrong.
  const auto without_team = parse_frame(slash_frame("U0ANN", "C0GENERAL", ""));
  CHECK(std::holds_alternative<Envelope>(without_team));
  // A malformed frame is not a forged one.
  CHECK_FALSE(std::get<MalformedFrame>(parse_frame("{not json")).forged_id);
}

TEST_CASE("a forged id is named in the reason cut short, with odd characters masked") {
  const std::string hostile = "U0<!channel>\n" + std::string(5000, 'A');
  const auto parsed = parse_frame(slash_frame(hostile));
  const auto& refused = std::get<MalformedFrame>(parsed);
  CHECK(refused.forged_id);
  CHECK(refused.reason.find("user_id") != std::string::npos);
  CHECK(refused.reason.find("U0??channel??AAAAAAAAAAA...") != std::string::npos);
  CHECK(refused.reason.size() < 100);
  CHECK(refused.reason.find('<') == std::string::npos);
  CHECK(refused.reason.find('\n') == std::string::npos);
}

TEST_CASE("every kind of request has its ids checked") {
  const auto refused = [](const std::string& frame) {
    const auto parsed = parse_frame(frame);
    const auto* bad = std::get_if<MalformedFrame>(&parsed);
    return bad != nullptr && bad->forged_id;
  };
  CHECK(refused(
      R"({"envelope_id":"e1","type":"interactive","payload":{"type":"block_actions","user":{"id":"U0ANN"},"channel":{"id":"C0GENERAL;"},"actions":[{"action_id":"a"}]}})"));
  CHECK(refused(
      R"({"envelope_id":"e2","type":"interactive","payload":{"type":"view_submission","user":{"id":"U0ANN"},"team":{"id":"X0TEAM"},"view":{"id":"V1"}}})"));
  CHECK(refused(
      R"({"envelope_id":"e3","type":"interactive","payload":{"type":"message_action","user":{"id":"U0ANN"},"callback_id":"nit","message":{"user":"bob","ts":"1.0","text":"hi"}}})"));
  CHECK(refused(
      R"({"envelope_id":"e4","type":"events_api","payload":{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"U0ANN!","tab":"home"}}})"));
  // A bot's message: no user, but a bot id; nothing to refuse.
  CHECK_FALSE(refused(
      R"({"envelope_id":"e5","type":"events_api","payload":{"type":"event_callback","event_id":"Ev2","event":{"type":"message","bot_id":"B0BOT","channel":"D0ANN","text":"hi"}}})"));
}
