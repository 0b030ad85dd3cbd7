#include "bot/slack/slack_api.hpp"

namespace ff {

std::optional<SlackUser> SlackUser::from_json(const nlohmann::json& user) {
  if (!user.is_object()) return std::nullopt;
  const auto text = [&user](const char* key, std::string fallback) {
    const auto it = user.find(key);
    return it != user.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  const auto flag = [&user](const char* key) {
    const auto it = user.find(key);
    return it != user.end() && it->is_boolean() && it->get<bool>();
  };
  SlackUser person;
  person.id = text("id", "");
  if (person.id.empty()) return std::nullopt;
  person.name = text("name", "");
  person.time_zone = text("tz", "");  // empty: Slack knows no zone for them
  if (const auto offset = user.find("tz_offset");
      offset != user.end() && offset->is_number_integer()) {
    // Real offsets lie within a day; anything else is not an offset.
    const auto seconds = offset->get<long long>();
    if (seconds > -86400 && seconds < 86400) person.tz_offset = static_cast<int>(seconds);
  }
  person.deleted = flag("deleted");
  person.is_bot = flag("is_bot");
  return person;
}

UserLookup SlackApi::look_up_user(std::string_view user_id) {
  UserLookup lookup{user_info(user_id), std::nullopt};
  if (!lookup.result.ok) return lookup;
  lookup.user = SlackUser::from_json(lookup.result.body.value("user", nlohmann::json()));
  if (!lookup.user) lookup.result = ApiResult::failure("answer_without_user", true);
  return lookup;
}

std::optional<std::chrono::system_clock::time_point> SlackApi::do_not_disturb_until(
    std::string_view user_id, std::chrono::system_clock::time_point now) {
  if (do_not_disturb_unavailable_) return std::nullopt;
  const ApiResult answer = do_not_disturb(user_id);
  if (!answer.ok) {
    if (answer.error == "missing_scope" || answer.error == "not_allowed_token_type") {
      do_not_disturb_unavailable_ = true;
    }
    return std::nullopt;
  }
  const auto& body = answer.body;
  const auto seconds =
      [&body](const char* key) -> std::optional<std::chrono::system_clock::time_point> {
    if (!body.contains(key) || !body[key].is_number()) return std::nullopt;
    return std::chrono::system_clock::time_point{
        std::chrono::seconds{body[key].get<std::int64_t>()}};
  };
  std::optional<std::chrono::system_clock::time_point> until;
  if (body.value("snooze_enabled", false)) {
    if (const auto end = seconds("snooze_endtime"); end && *end > now) until = end;
  }
  if (body.value("dnd_enabled", false)) {
    const auto start = seconds("next_dnd_start_ts");
    const auto end = seconds("next_dnd_end_ts");
    if (start && end && *start <= now && now < *end && (!until || *end > *until)) until = end;
  }
  return until;
}

}  // namespace ff
