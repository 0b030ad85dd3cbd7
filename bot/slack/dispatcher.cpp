#include "bot/slack/dispatcher.hpp"

#include <future>

#include <spdlog/spdlog.h>

#include "bot/errors.hpp"
#include "bot/logging.hpp"
#include "bot/metrics.hpp"
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

Dispatcher::Dispatcher(const EnvelopeRouter& router, SlackApi& slack, Inbox& inbox,
                       WorkerPool& workers)
    : router_(router), slack_(slack), inbox_(inbox), workers_(workers) {}

namespace {

// The ack of an envelope taken up from the inbox: sent long ago, or never
// to this process.
class GoneAck final : public Ack {
 public:
  bool send(std::optional<nlohmann::json>) override { return false; }
  bool hold() override { return false; }
};

std::string event_id_of(const Envelope& envelope) {
  const auto* event = std::get_if<Event>(&envelope.request);
  return event == nullptr ? std::string() : event->event_id;
}

}  // namespace

bool Dispatcher::dispatch(Envelope envelope, std::shared_ptr<Ack> ack) {
  if (!accepting_) return false;
  ++counters_.received;
  ++in_flight_;
  // The inbox writes on its own thread, in batches: the socket thread goes
  // on reading, and the envelope is acked only once it is durable.
  InboxEntry entry{envelope.envelope_id, event_id_of(envelope), std::move(envelope.frame)};
  inbox_.admit(std::move(entry), [this, envelope = std::move(envelope),
                                  ack = std::move(ack)](Admission admission) mutable {
    if (admission == Admission::kAlreadyIn) {
      ++counters_.duplicates;
      metrics::registry().envelopes.add({envelope.type, "duplicate"});
      spdlog::debug("redelivery of {} ({}) acked and dropped: it is in the inbox",
                    envelope.envelope_id, describe(envelope.request));
      ack->send(std::nullopt);
      finished();
      return;
    }
    ack->recorded();
    run_on_worker(std::move(envelope), std::move(ack));
  });
  return true;
}

void Dispatcher::resume(UnfinishedEnvelope unfinished) {
  Frame frame = parse_frame(unfinished.frame);
  auto* envelope = std::get_if<Envelope>(&frame);
  if (envelope == nullptr) {
    spdlog::warn(
        "inbox: envelope {} cannot be handled again: {}", unfinished.envelope_id,
        unfinished.frame.empty() ? "it was made up in console mode" : "its frame no longer parses");
    inbox_.finished(std::move(unfinished.envelope_id), nullptr);
    return;
  }
  if (!accepting_) return;  // still in the inbox; the stop releases it
  ++counters_.taken_up;
  ++in_flight_;
  spdlog::debug("handling {} ({}) left unfinished, attempt {}", envelope->envelope_id,
                describe(envelope->request), unfinished.attempts);
  run_on_worker(std::move(*envelope), std::make_shared<GoneAck>());
}

void Dispatcher::run_on_worker(Envelope envelope, std::shared_ptr<Ack> ack) {
  // One person's envelopes run one at a time in arrival order (a second
  // message while the first is being handled, a button pressed twice), so a
  // handler never races the same person's previous request.
  std::string person = person_of(envelope.request);
  workers_.post(std::move(person), [this, envelope = std::move(envelope), ack = std::move(ack)] {
    const LogScope scope(
        {envelope.envelope_id, describe(envelope.request), user_of(envelope.request), 0});
    if (std::chrono::steady_clock::now().time_since_epoch().count() > start_no_later_.load()) {
      // Stopping: it stays in the inbox, and is durable, so it may be acked.
      ++counters_.left_in_inbox;
      metrics::registry().envelopes.add({envelope.type, "left_in_inbox"});
      ack->send(std::nullopt);
      finished();
      return;
    }
    Reply reply = handle(envelope);
    std::optional<nlohmann::json> payload = in_ack(envelope, reply);
    if (!payload || !ack->hold()) {
      // Whatever the handler did (posts, a reply through response_url) is
      // done before the envelope is marked finished: a crash in between
      // does it again rather than never.
      // The worker waits for that mark before it takes the next envelope,
      // so a crash repeats at most the one it was handling.
      ack->send(std::nullopt);
      deliver_late(envelope, reply);
      std::promise<void> written;
      inbox_.finished(envelope.envelope_id, [&written] { written.set_value(); });
      written.get_future().wait();
      finished();
      return;
    }
    // The reply travels in the ack: the envelope is marked finished first,
    // so a crash cannot answer it twice (one in between leaves it unacked,
    // and Slack tells the person it failed).
    inbox_.finished(envelope.envelope_id, [this, envelope, ack, reply = std::move(reply),
                                           payload = std::move(*payload)]() mutable {
      if (ack->send(std::move(payload))) {
        if (reply.message) ++counters_.replies_in_ack;
        finished();
        return;
      }
      // The connection went away meanwhile: the long way, on a worker,
      // never on the inbox's own thread.
      workers_.post([this, envelope, reply] {
        deliver_late(envelope, reply);
        finished();
      });
    });
  });
}

void Dispatcher::stop_accepting(std::chrono::steady_clock::time_point start_no_later) {
  accepting_ = false;
  start_no_later_ = start_no_later.time_since_epoch().count();
}

Reply Dispatcher::handle(const Envelope& envelope) {
  Reply reply;
  const metrics::Stopwatch took;
  const char* outcome = "handled";
  try {
    reply = router_.route(envelope.request);
  } catch (const Unavailable& error) {
    ++counters_.handler_failures;
    outcome = "failed";
    spdlog::warn("{} not finished: {}", describe(envelope.request), error.what());
    reply = failed(envelope, Message::plain(":warning: I can't reach my database right now. "
                                            "Please try again in a minute."));
  } catch (const std::exception& error) {
    ++counters_.handler_failures;
    outcome = "failed";
    spdlog::error("handler for {} failed: {}", describe(envelope.request), error.what());
    reply = failed(envelope, apology());
  }
  ++counters_.handled;
  metrics::registry().handler_seconds.observe(router_.counted_name(envelope.request),
                                              took.elapsed());
  metrics::registry().envelopes.add({envelope.type, outcome});
  return reply;
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

std::optional<nlohmann::json> Dispatcher::in_ack(const Envelope& envelope, const Reply& reply) {
  if (reply.view_response) return reply.view_response;
  const bool is_command = std::holds_alternative<SlashCommand>(envelope.request);
  if (reply.message && is_command && envelope.accepts_response_payload)
    return reply.message->to_response_json();
  return std::nullopt;
}

void Dispatcher::deliver_late(const Envelope& envelope, const Reply& reply) {
  if (reply.view_response) {
    // The form closed at the deadline before the handler knew what went
    // wrong: the person must not believe it worked.
    if (reply.view_response->value("response_action", "") != "errors") return;
    const auto* view = std::get_if<ViewSubmission>(&envelope.request);
    if (view == nullptr || !mrkdwn::is_user_id(view->user_id)) return;
    Message told =
        Message::plain(":warning: The form you just sent closed before I could finish it:" +
                       form_errors_text(*reply.view_response));
    const ApiResult result = slack_.post_message(view->user_id, told);
    if (!result.ok) {
      spdlog::warn("could not tell a person their form failed ({}): {}", describe(envelope.request),
                   result.error);
    }
    return;
  }
  if (!reply.message) return;
  std::string response_url;
  if (const auto* c = std::get_if<SlashCommand>(&envelope.request)) response_url = c->response_url;
  if (const auto* a = std::get_if<BlockAction>(&envelope.request)) response_url = a->response_url;
  if (const auto* s = std::get_if<Shortcut>(&envelope.request)) response_url = s->response_url;
  if (response_url.empty()) {
    // A press on App Home has no response_url: the Home, published again
    // by the feature that changed it, is the answer.
    const auto* press = std::get_if<BlockAction>(&envelope.request);
    if (press != nullptr && press->container_type == "view") {
      spdlog::debug("reply to {} on a view not sent: the view is its answer",
                    describe(envelope.request));
      return;
    }
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
