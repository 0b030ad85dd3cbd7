// Proposing an initiative: a preview only its author sees, with Post, Edit
// and Cancel, before anything is public; and editing the title and
// description afterwards (the card follows).
//
// The preview is a draft row in the store, so the buttons carry only its
// number: a press of Post moves it from draft to open in one statement, and
// of two presses (a double click, or two instances) exactly one posts.
#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/parts.hpp"
#include "commands/people.hpp"

namespace ff::commands::initiative {
namespace {

// Drafts nobody posted or cancelled are deleted after this, with what the
// person wrote in them.
constexpr auto kDraftsKeptFor = std::chrono::hours{24};

struct Proposal {
  std::string title;
  std::string description;
};

// "title | description", as typed in /initiative or in the edit form. A
// mention's own | (<@U123|sam>) is part of the title, not the split. On
// failure, what to tell the person.
std::variant<Proposal, std::string> proposal_of(const std::string& text) {
  const std::size_t bar = mrkdwn::find_outside_markup(text, '|');
  Proposal p{trimmed(text.substr(0, bar)),
             bar == std::string::npos ? "" : trimmed(text.substr(bar + 1))};
  if (p.title.empty()) {
    return std::string(
        "What will you lead? For example: `/initiative Faster code reviews | two "
        "reviewers at most, answers within a day`.");
  }
  if (mrkdwn::char_count(p.title) > kTitleLimit ||
      mrkdwn::char_count(p.description) > kDescriptionLimit) {
    return "Keep the title under " + std::to_string(kTitleLimit) +
           " characters and the description under " + std::to_string(kDescriptionLimit) +
           "; the details can go in a thread under the card.";
  }
  return p;
}

// Stored text as a person would type it in a form: Slack's entities decoded
// and mentions shown as @name (a form's text box shows no mentions).
std::string as_typed(const std::string& stored) {
  std::string out;
  for (std::size_t i = 0; i < stored.size();) {
    if (stored.compare(i, 5, "&amp;") == 0) {
      out += '&';
      i += 5;
    } else if (stored.compare(i, 4, "&lt;") == 0 || stored.compare(i, 4, "&gt;") == 0) {
      out += stored[i + 1] == 'l' ? '<' : '>';
      i += 4;
    } else if (stored.compare(i, 2, "<@") == 0 || stored.compare(i, 2, "<#") == 0) {
      const auto close = stored.find('>', i);
      const auto bar = stored.find('|', i);
      if (close == std::string::npos || bar == std::string::npos || bar > close) {
        out += stored[i++];
        continue;
      }
      out += stored[i + 1] == '@' ? '@' : '#';
      out += stored.substr(bar + 1, close - bar - 1);
      i = close + 1;
    } else {
      out += stored[i++];
    }
  }
  return out;
}

// The edited text with each @name that was a mention in `before` turned back
// into that mention, so an edit keeps whom the title names.
std::string with_mentions_of(std::string edited, const std::string& before) {
  for (std::size_t at = before.find("<@"); at != std::string::npos;
       at = before.find("<@", at + 2)) {
    const auto close = before.find('>', at);
    const auto bar = before.find('|', at);
    if (close == std::string::npos || bar == std::string::npos || bar > close) continue;
    const std::string mention = before.substr(at, close - at + 1);
    const std::string typed = "@" + before.substr(bar + 1, close - bar - 1);
    for (auto found = edited.find(typed); found != std::string::npos;
         found = edited.find(typed, found + mention.size())) {
      edited.replace(found, typed.size(), mention);
    }
  }
  return edited;
}

std::string number_of(std::int64_t id) {
  return "#" + std::to_string(id);
}

Message preview(const store::Initiative& draft) {
  Message m = card(draft, {});
  m.text = "Preview of your initiative: " + mrkdwn::escape_keeping_mentions(draft.title);
  m.blocks.insert(m.blocks.begin(),
                  blocks::section("*Preview.* Only you see this. Post it to this channel?"));
  m.add(
      blocks::context({"Posting makes it public here and asks your manager and this channel's "
                       "leads to back it."}));
  const std::string id = std::to_string(draft.id);
  m.add(
      blocks::actions("initiative_draft_" + id,
                      {blocks::button("Post", kDraftPostAction, id, blocks::ButtonStyle::kPrimary),
                       blocks::button("Edit", kDraftEditAction, id),
                       blocks::button("Cancel", kDraftCancelAction, id)}));
  return m;
}

// The draft a preview's button names, if it is the presser's.
std::variant<store::Initiative, std::string> own_initiative(const InitiativeServices& services,
                                                            const std::string& value,
                                                            const std::string& user) {
  const auto found = find(services, value, {}, "Type `/initiative edit <number>`", true);
  if (std::holds_alternative<std::string>(found)) {
    return std::string(
        "That preview was cancelled or is more than a day old. Type `/initiative` again.");
  }
  const auto& initiative = std::get<store::Initiative>(found);
  if (initiative.owner_id != user) {
    return "Only " + mrkdwn::mention(initiative.owner_id) + ", who proposed " +
           number_of(initiative.id) + ", can change it.";
  }
  return initiative;
}

Reply replacing(Reply reply) {
  if (reply.message) reply.message->replace_original = true;
  return reply;
}

// Posts a draft: its card in the channel, then the nudges. What to tell the
// person, and whether the preview is done with (posted, or posted before).
std::pair<std::string, bool> post(const InitiativeServices& services,
                                  const store::Initiative& draft) {
  const std::string number = number_of(draft.id);
  if (!services.initiatives.move_initiative(draft.id, "draft", "open", services.clock.now())) {
    return {"Initiative " + number + " is posted already.", true};
  }
  auto initiative = *services.initiatives.initiative(draft.id);
  const ApiResult posted = services.slack.post_message(initiative.channel_id, card(initiative, {}));
  if (!posted.ok) {
    // Nothing is public: the preview can be posted again.
    services.initiatives.move_initiative(draft.id, "open", "draft", services.clock.now());
    return {"I couldn't post the initiative's card. " + why_slack_failed(posted), false};
  }
  // The card is public now: "try again" would post a second one.
  try {
    services.initiatives.set_message_ts(initiative.id, posted.body.value("ts", ""));
    nudge_backers(services, initiative);
  } catch (const store::StoreError& error) {
    spdlog::warn("initiative {} posted, not all of it saved: {}", initiative.id, error.what());
    return {":seedling: Posted initiative " + number +
                ", but my database stopped answering before I had saved all of it. Please "
                "don't post it again. What may be missing: its card may not show who endorses "
                "it (`/endorse " +
                std::to_string(initiative.id) +
                "` still counts once the database is back), and your manager and this "
                "channel's leads may not be asked to back it.",
            true};
  }
  return {":seedling: Posted initiative " + number +
              ". The first person to endorse it becomes its first follower. `/initiative edit " +
              std::to_string(initiative.id) + "` changes its title.",
          true};
}

// The form that edits a draft (and then posts it) or an open initiative.
ApiResult open_editor(const InitiativeServices& services, const std::string& trigger_id,
                      const store::Initiative& i) {
  std::string typed = as_typed(i.title);
  if (!i.description.empty()) typed += " | " + as_typed(i.description);
  const bool draft = i.status == "draft";
  std::vector<nlohmann::json> parts{
      blocks::section(draft ? "*Your initiative*, before it is posted."
                            : "*Initiative " + number_of(i.id) +
                                  "*: the card in the channel changes with it."),
      blocks::text_input("initiative_text", "text", "Title | description",
                         "Faster code reviews | two reviewers at most",
                         kTitleLimit + kDescriptionLimit + 3, {typed})};
  return services.slack.open_view(
      trigger_id,
      blocks::modal(kInitiativeEditModal, draft ? "Your initiative" : "Edit initiative",
                    draft ? "Post" : "Save", std::move(parts), nlohmann::json{{"i", i.id}}.dump()));
}

Reply field_error(const std::string& message) {
  Reply r;
  r.view_response =
      nlohmann::json{{"response_action", "errors"}, {"errors", {{"initiative_text", message}}}};
  return r;
}

Reply submit_edit(const InitiativeServices& services, const ViewSubmission& view) {
  if (view.closed) return Reply::none();
  const auto metadata = nlohmann::json::parse(view.private_metadata, nullptr, false);
  if (!metadata.is_object() || !metadata["i"].is_number_integer()) {
    return field_error("This form looks altered. Close it and start again.");
  }
  const auto found =
      own_initiative(services, std::to_string(metadata["i"].get<std::int64_t>()), view.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return field_error(*why);
  const auto& before = std::get<store::Initiative>(found);
  const auto proposal = proposal_of(trimmed(view.form.text("initiative_text", "text")));
  if (const auto* why = std::get_if<std::string>(&proposal)) return field_error(*why);
  const auto& p = std::get<Proposal>(proposal);
  const std::string title = with_mentions_of(p.title, before.title);
  const std::string description = with_mentions_of(p.description, before.description);
  if (!services.initiatives.edit_initiative(before.id, title, description)) {
    return field_error("Initiative " + number_of(before.id) + " is closed; it can't change now.");
  }
  if (before.status == "draft") {
    auto draft = before;
    draft.title = title;
    draft.description = description;
    services.slack.post_message(view.user_id, Message::plain(post(services, draft).first));
    return Reply::none();
  }
  refresh_card(services, before.id);
  refresh_nudges(services, before.id, {});
  services.slack.post_message(view.user_id,
                              Message::plain("Updated initiative " + number_of(before.id) +
                                             ": its card shows "
                                             "the new text."));
  return Reply::none();
}

}  // namespace

Reply propose(const InitiativeServices& services, const SlashCommand& command,
              const std::string& text) {
  const auto proposal = proposal_of(text);
  if (const auto* why = std::get_if<std::string>(&proposal)) return say(*why);
  const auto& p = std::get<Proposal>(proposal);
  store::Initiative draft{0,
                          command.team_id,
                          command.channel_id,
                          command.user_id,
                          p.title,
                          p.description,
                          "draft",
                          {},
                          services.clock.now(),
                          std::nullopt};
  try {
    services.initiatives.forget_drafts_before(services.clock.now() - kDraftsKeptFor);
  } catch (const store::StoreError& error) {
    spdlog::warn("old drafts not deleted: {}", error.what());
  }
  draft.id = services.initiatives.create_initiative(draft);
  return Reply::with(preview(draft));
}

Reply open_edit(const InitiativeServices& services, const SlashCommand& command,
                const std::string& argument) {
  const auto found =
      find(services, argument, command.channel_id, "Type `/initiative edit <number>`");
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& initiative = std::get<store::Initiative>(found);
  if (initiative.owner_id != command.user_id) {
    return say("Only " + mrkdwn::mention(initiative.owner_id) + ", who leads " +
               number_of(initiative.id) + ", can edit it.");
  }
  if (initiative.status != "open" && initiative.status != "draft") {
    return say("Initiative " + number_of(initiative.id) + " is closed; it can't change now.");
  }
  const ApiResult opened = open_editor(services, command.trigger_id, initiative);
  if (opened.ok) return Reply::none();
  return say("I couldn't open the form. " + why_slack_failed(opened));
}

void register_draft_buttons(EnvelopeRouter::Routes routes, const InitiativeServices& services) {
  routes.action(kDraftPostAction, [services](const BlockAction& action) {
    const auto found = own_initiative(services, action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
    const auto [said, done] = post(services, std::get<store::Initiative>(found));
    // A failed post keeps the preview, so Post can be pressed again.
    return done ? replacing(say(said)) : say(said);
  });
  routes.action(kDraftEditAction, [services](const BlockAction& action) {
    const auto found = own_initiative(services, action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
    const ApiResult opened =
        open_editor(services, action.trigger_id, std::get<store::Initiative>(found));
    if (opened.ok) return Reply::none();
    return say("I couldn't open the form. " + why_slack_failed(opened));
  });
  routes.action(kDraftCancelAction, [services](const BlockAction& action) {
    const auto found = own_initiative(services, action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
    const auto& initiative = std::get<store::Initiative>(found);
    if (!services.initiatives.discard_draft(initiative.id)) {
      return say("Initiative " + number_of(initiative.id) +
                 " is posted already; `/initiative drop " + std::to_string(initiative.id) +
                 "` takes it back.");
    }
    return replacing(say("Cancelled. Nothing was posted."));
  });
  routes.view(kInitiativeEditModal,
              [services](const ViewSubmission& view) { return submit_edit(services, view); });
}

}  // namespace ff::commands::initiative
