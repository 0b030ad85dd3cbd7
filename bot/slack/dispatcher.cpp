#include "bot/slack/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "bot/errors.hpp"
#include "bot/slack/mrkdwn.hpp"

namespace ff {

Reply Dispatcher::failed(const Envelope& envelope, Message sorry) {
  // A form has no response_url: its author hears it in a DM, and the form
  // closes (an errors response needs the form's own field ids).
  const auto* view = std::get_if<ViewSubmission>(&envelope.request);
  if (view == nullptr) return Reply::with(std::move(sorry));
  if (!view->closed && mrkdwn::is_user_id(view->user_id)) {
    const ApiResult told = slack_.post_message(view->user_id, sorry);
    if (!told.ok) spdlog::warn("could not tell a person their form failed: {}", told.error);
  }
  return Reply::none();
}

Message apology() {
  return Message::plain(
      ":warning: Sorry, something went wrong on my side and I could not finish that. "
      "Please try again in a moment.");
}

Dispatcher::Dispatcher(const EnvelopeRouter& router, SlackApi& slack, DedupeStore& dedupe,
                       WorkerPool& workers)
    : router_(router), slack_(slack), dedupe_(dedupe), workers_(workers) {}

bool Dispatcher::dispatch(Envelope envelope, std::shared_ptr<Ack> ack) {
  if (!accepting_) return false;
  ++counters_.received;
  ++in_flight_;
  // Dedupe runs on the worker, not here on the socket thread: with a shared
  // database it is a round trip, and the socket thread must stay free to ack.
  // One person's envelopes run one at a time in arrival order (a second
  // message while the first is being handled, a button pressed twice), so a
  // handler never races the same person's previous request.
  std::string person = person_of(envelope.request);
  workers_.post(std::move(person), [this, envelope = std::move(envelope), ack = std::move(ack)] {
    if (first_delivery(envelope)) {
      handle(envelope, *ack);
    } else {
      ++counters_.duplicates;
      spdlog::debug("duplicate delivery of {} ({}) acked and dropped", envelope.envelope_id,
                    describe(envelope.request));
      ack->send(std::nullopt);
    }
    finished();
  });
  return true;
}

bool Dispatcher::first_delivery(const Envelope& envelope) {
  const auto* event = std::get_if<Event>(&envelope.request);
  // An event retried by Slack arrives in a new envelope with the same event_id.
  return dedupe_.first_time(envelope.envelope_id) &&
         (event == nullptr || dedupe_.first_time("event:" + event->event_id));
}

void Dispatcher::handle(const Envelope& envelope, Ack& ack) {
  Reply reply;
  try {
    reply = router_.route(envelope.request);
  } catch (const Unavailable& error) {
    ++counters_.handler_failures;
    spdlog::warn("{} not finished: {}", describe(envelope.request), error.what());
    reply = failed(envelope, Message::plain(":warning: I can't reach my database right now. "
                                            "Please try again in a minute."));
  } catch (const std::exception& error) {
    ++counters_.handler_failures;
    spdlog::error("handler for {} failed: {}", describe(envelope.request), error.what());
    reply = failed(envelope, apology());
  }
  ++counters_.handled;
  deliver(envelope, ack, std::move(reply));
}

namespace {

// What a form's errors say, as one line per field, for someone who no
// longer sees the form.
std::string form_errors_text(const nlohmann::json& view_response) {
  std::string text;
  const auto errors = view_response.value("errors", nlohmann::json::object());
  for (const auto& [field, message] : errors.items()) {
    if (message.is_string()) text += "\n• " + mrkdwn::escape(message.get<std::string>());
  }
  return text;
}

}  // namespace

void Dispatcher::deliver(const Envelope& envelope, Ack& ack, Reply reply) {
  if (reply.view_response) {
    const bool had_errors = reply.view_response->value("response_action", "") == "errors";
    const std::string errors = had_errors ? form_errors_text(*reply.view_response) : "";
    if (ack.send(std::move(reply.view_response)) || !had_errors) return;
    // The form closed at the deadline before the handler knew what went
    // wrong: the person must not believe it worked.
    const auto* view = std::get_if<ViewSubmission>(&envelope.request);
    if (view == nullptr || !mrkdwn::is_user_id(view->user_id)) return;
    Message told = Message::plain(
        ":warning: The form you just sent closed before I could finish it:" + errors);
    const ApiResult result = slack_.post_message(view->user_id, told);
    if (!result.ok) {
      spdlog::warn("could not tell a person their form failed ({}): {}", describe(envelope.request),
                   result.error);
    }
    return;
  }
  const bool is_command = std::holds_alternative<SlashCommand>(envelope.request);
  if (reply.message && is_command && envelope.accepts_response_payload &&
      ack.send(reply.message->to_response_json())) {
    ++counters_.replies_in_ack;
    return;
  }
  ack.send(std::nullopt);
  if (!reply.message) return;

  std::string response_url;
  if (const auto* c = std::get_if<SlashCommand>(&envelope.request)) response_url = c->response_url;
  if (const auto* a = std::get_if<BlockAction>(&envelope.request)) response_url = a->response_url;
  if (const auto* s = std::get_if<Shortcut>(&envelope.request)) response_url = s->response_url;
  if (response_url.empty()) {
    spdlog::warn("reply to {} dropped: no response_url", describe(envelope.request));
    return;
  }
  const ApiResult result = slack_.respond(response_url, *reply.message);
  if (result.ok) {
    ++counters_.replies_via_response_url;
  } else {
    spdlog::warn("reply to {} through response_url failed: {}", describe(envelope.request),
                 result.error);
  }
}

void Dispatcher::finished() {
  if (--in_flight_ == 0) {
    std::lock_guard lock(idle_mutex_);
    idle_.notify_all();
  }
}

bool Dispatcher::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(idle_mutex_);
  return idle_.wait_until(lock, deadline, [this] { return in_flight_.load() == 0; });
}

}  // namespace ff
