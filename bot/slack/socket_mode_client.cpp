// The wiring of the Socket Mode parts to websocketpp and Asio. The parts
// see no socket: ReconnectBackoff (how long to wait before the next attempt),
// KeepAlive (silence, ping, dead), LinkDrain (when a replaced connection may
// close), TicketOpener (apps.connections.open off the socket thread) and
// SocketModeStatus (what other threads may read). Their time comes from the
// injected Clock, so tests move it instead of sleeping. websocketpp is slow to
// compile, so this is the only file that includes it.
#include "bot/slack/socket_mode_client.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <asio/ssl/host_name_verification.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>
#include <websocketpp/uri.hpp>

#include "bot/metrics.hpp"
#include "bot/slack/keep_alive.hpp"
#include "bot/slack/link_drain.hpp"
#include "bot/slack/log_throttle.hpp"
#include "bot/slack/reconnect_backoff.hpp"
#include "bot/slack/socket_mode_status.hpp"
#include "bot/slack/ticket_opener.hpp"

namespace ff {
namespace {

using Steady = std::chrono::steady_clock;
using PlainEndpoint = websocketpp::client<websocketpp::config::asio_client>;
using TlsEndpoint = websocketpp::client<websocketpp::config::asio_tls_client>;

// Slack's reasons to replace a connection, as a metric label; a reason it
// adds later is counted as "other" until we know it.
std::string_view disconnect_reason_label(const std::string& reason) {
  return reason == "warning" || reason == "refresh_requested" ? std::string_view(reason) : "other";
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// The URL without its query, which holds the single-use ticket.
std::string loggable(const std::string& url) {
  return url.substr(0, url.find('?'));
}

}  // namespace

// One WebSocket connection, whichever endpoint (ws or wss) carries it. Only
// the socket thread touches a Link.
class Link {
 public:
  Link(std::uint64_t serial, std::size_t slot, const SocketModeOptions& options,
       Steady::time_point now)
      : slot(slot),
        serial(serial),
        created(now),
        keep_alive(options.ping_interval, options.pong_timeout, now) {}
  virtual ~Link() = default;
  virtual void send_text(const std::string& text) = 0;
  virtual void ping() = 0;
  // Starts the close handshake; when that cannot start (not open yet, or
  // closing already), drops the socket outright.
  virtual void close(std::uint16_t code, const std::string& reason) = 0;

  const std::size_t slot;
  const std::uint64_t serial;
  bool live = false;  // hello received
  bool closed = false;
  const Steady::time_point created;
  Steady::time_point hello_at{};
  KeepAlive keep_alive;
  LinkDrain drain;
};

namespace {

template <typename Endpoint>
class EndpointLink final : public Link {
 public:
  EndpointLink(typename Endpoint::connection_ptr connection, std::uint64_t serial, std::size_t slot,
               const SocketModeOptions& options, Steady::time_point now)
      : Link(serial, slot, options, now), connection_(std::move(connection)) {}

  void send_text(const std::string& text) override {
    if (closed) return;
    const auto ec = connection_->send(text, websocketpp::frame::opcode::text);
    if (ec) spdlog::debug("connection {}: send failed: {}", serial, ec.message());
  }
  void ping() override {
    websocketpp::lib::error_code ec;
    connection_->ping("", ec);
  }
  void close(std::uint16_t code, const std::string& reason) override {
    websocketpp::lib::error_code ec;
    connection_->close(code, reason, ec);
    if (ec) connection_->get_raw_socket().lowest_layer().close(ec);
  }

 private:
  typename Endpoint::connection_ptr connection_;
};

}  // namespace

class SocketModeClient::Impl {
 public:
  Impl(SocketModeOptions options, TicketSource tickets, Dispatcher& dispatcher, const Clock& clock)
      : options_(options),
        dispatcher_(dispatcher),
        clock_(clock),
        malformed_log_(clock, options.log_interval),
        forged_id_log_(clock, options.log_interval),
        tick_(io_),
        opener_(std::move(tickets), [this](std::size_t slot, ConnectionTicket ticket) {
          asio::post(io_, [this, slot, ticket = std::move(ticket)] { on_ticket(slot, ticket); });
        }) {
    setup_endpoint(plain_);
    setup_endpoint(tls_);
    // websocketpp asks for the TLS context inside get_connection(), before
    // the connection has a handle, so the host travels in next_tls_host_.
    tls_.set_tls_init_handler(
        [this](websocketpp::connection_hdl) { return tls_context(next_tls_host_); });
    std::random_device seeds;
    const auto slot_count = static_cast<std::size_t>(std::max(1, options.connections));
    for (std::size_t i = 0; i < slot_count; ++i) {
      slots_.push_back(Slot{nullptr, false,
                            ReconnectBackoff(options.reconnect_min, options.reconnect_max, seeds()),
                            std::nullopt});
    }
  }

  // opener_ stops and joins in its own destructor.
  ~Impl() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

  void start() {
    work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    opener_.start();
    thread_ = std::thread([this] { io_.run(); });
    asio::post(io_, [this] {
      for (std::size_t i = 0; i < slots_.size(); ++i) open(i, std::chrono::milliseconds{0});
      schedule_tick();
    });
  }

  bool shutdown(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return dispatcher_.in_flight() == 0;
    // Real time, not clock_: the grace bounds a real wait that holds the
    // caller's thread (a process stopping on SIGTERM must exit in time), and
    // a time point from a ManualClock means nothing to a real wait.
    const auto deadline = Steady::now() + grace;
    asio::post(io_, [this] { stopping_ = true; });
    // Queued envelopes start during the first two thirds of the grace; the
    // last third is for those running to finish. What is left stays in the
    // inbox.
    dispatcher_.stop_accepting(Steady::now() + grace * 2 / 3);
    const bool idle = dispatcher_.wait_idle(deadline);
    if (!idle) {
      spdlog::warn("shutting down with {} envelope(s) still being handled; they stay in the inbox",
                   dispatcher_.in_flight());
    }
    // Acks queued by the last handlers are posted before this, so they leave
    // before the close frames.
    asio::post(io_, [this] {
      for (const auto& link : links_)
        link->close(websocketpp::close::status::normal, "shutting down");
    });
    // The close handshake gets what is left of the grace (a peer that does
    // not answer is dropped), so the whole stop stays within it.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    status_.wait_closed_then_stop(
        std::clamp(left, std::chrono::milliseconds{20}, std::chrono::milliseconds{1000}));
    opener_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
    opener_.join();
    return idle;
  }

  SocketModeStatus& status() { return status_; }

 private:
  // One of the `connections` Slack should keep delivering to.
  struct Slot {
    std::shared_ptr<Link> active;  // the live connection, once it said hello
    bool opening = false;          // a ticket or a connection is on its way
    ReconnectBackoff backoff;
    // When to ask for the next ticket after a back-off; checked by on_tick
    // against clock_, so the back-off moves with the clock like every other
    // deadline.
    std::optional<Steady::time_point> retry_at;
  };

  // An ack that leaves once, from whichever thread wins: the handler's
  // reply, or the deadline (unless the handler holds it for a reply).
  class PendingAck final : public Ack {
   public:
    PendingAck(Impl& owner, std::weak_ptr<Link> link, std::string envelope_id)
        : owner_(owner), link_(std::move(link)), envelope_id_(std::move(envelope_id)) {}

    bool send(std::optional<nlohmann::json> payload) override {
      State state = state_.load();
      do {
        if (state == State::kSent) return false;
      } while (!state_.compare_exchange_weak(state, State::kSent));
      return leave(std::move(payload));
    }
    void recorded() override { recorded_ = true; }
    bool hold() override {
      State expected = State::kOpen;
      return state_.compare_exchange_strong(expected, State::kHeld) || expected == State::kHeld;
    }
    // Empty, at the deadline: only for an envelope the inbox holds (acked
    // means it will be done), and not while a reply is on its way.
    bool send_at_deadline() {
      if (!recorded_.load()) return false;
      State expected = State::kOpen;
      if (!state_.compare_exchange_strong(expected, State::kSent)) return false;
      return leave(std::nullopt);
    }
    bool waiting_for_deadline() const { return state_.load() == State::kOpen; }

   private:
    enum class State { kOpen, kHeld, kSent };

    bool leave(std::optional<nlohmann::json> payload) {
      nlohmann::json frame = {{"envelope_id", envelope_id_}};
      if (payload) frame["payload"] = std::move(*payload);
      std::string text = frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      asio::post(owner_.io_,
                 [&owner = owner_, link = link_, text = std::move(text), arrived = arrived_] {
                   if (auto l = link.lock()) {
                     l->send_text(text);
                     l->drain.envelope_released();
                     owner.status_.count([](SocketModeStats& s) { ++s.acks_sent; });
                     metrics::registry().ack_latency.observe(arrived.elapsed());
                   }
                 });
      return !link_.expired();
    }

    Impl& owner_;
    std::weak_ptr<Link> link_;
    std::string envelope_id_;
    std::atomic<State> state_{State::kOpen};
    std::atomic<bool> recorded_{false};
    // Real time, whatever the clock: what an operator's latency is.
    const metrics::Stopwatch arrived_;
  };

  struct AckDeadline {
    Steady::time_point at;
    std::shared_ptr<PendingAck> ack;
  };

  // ---- websocketpp endpoints and TLS ----

  template <typename Endpoint>
  void setup_endpoint(Endpoint& endpoint) {
    // Our own log lines say what matters; websocketpp's would print the
    // connection URL with its ticket.
    endpoint.clear_access_channels(websocketpp::log::alevel::all);
    endpoint.clear_error_channels(websocketpp::log::elevel::all);
    endpoint.init_asio(&io_);
  }

  std::shared_ptr<asio::ssl::context> tls_context(const std::string& host) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    // The system CA store; SSL_CERT_FILE points it elsewhere (tests do).
    context->set_default_verify_paths();
    context->set_verify_mode(asio::ssl::verify_peer);
    context->set_verify_callback([host](bool preverified, asio::ssl::verify_context& ctx) {
      // Peer verification alone accepts a valid certificate for another
      // host; the name must match too.
      const bool ok = asio::ssl::host_name_verification(host)(preverified, ctx);
      if (!ok) {
        const int error = X509_STORE_CTX_get_error(ctx.native_handle());
        spdlog::error("TLS: certificate of {} refused: {}", host,
                      error == X509_V_OK ? "it does not name this host"
                                         : X509_verify_cert_error_string(error));
      }
      return ok;
    });
    return context;
  }

  // ---- connection lifecycle: ticket, connect, hello, close ----

  // Asks the opener thread for a ticket after `delay`.
  void open(std::size_t slot_index, std::chrono::milliseconds delay) {
    Slot& slot = slots_[slot_index];
    if (slot.opening || stopping_) return;
    slot.opening = true;
    if (delay.count() == 0) {
      opener_.request(slot_index);
      return;
    }
    spdlog::info("connection slot {}: reconnecting in {} ms", slot_index, delay.count());
    slot.retry_at = clock_.steady_now() + delay;
  }

  void request_due_retries(Steady::time_point now) {
    if (stopping_) return;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (!slot.retry_at || *slot.retry_at > now) continue;
      slot.retry_at.reset();
      opener_.request(i);
    }
  }

  void on_ticket(std::size_t slot_index, const ConnectionTicket& ticket) {
    Slot& slot = slots_[slot_index];
    if (stopping_) {
      slot.opening = false;
      return;
    }
    if (ticket.fatal) {
      status_.finish(ClientOutcome::kAuthFailed, ticket.error);
      slot.opening = false;
      return;
    }
    if (!ticket.error.empty()) {
      spdlog::warn("apps.connections.open failed: {}", ticket.error);
      fail_open(slot_index);
      return;
    }
    websocketpp::lib::error_code ec;
    std::shared_ptr<Link> link;
    const auto uri = std::make_shared<websocketpp::uri>(ticket.url);
    if (!uri->get_valid()) {
      spdlog::warn("apps.connections.open returned an unusable URL");
      fail_open(slot_index);
      return;
    }
    if (uri->get_secure()) {
      next_tls_host_ = uri->get_host();
      link = connect(tls_, slot_index, ticket.url, ec);
    } else if (is_loopback_host(uri->get_host())) {
      link = connect(plain_, slot_index, ticket.url, ec);
    } else {
      spdlog::error("refusing unencrypted ws:// to {}: only loopback may use it",
                    loggable(ticket.url));
      fail_open(slot_index);
      return;
    }
    if (!link) {
      spdlog::warn("cannot connect to {}: {}", loggable(ticket.url), ec.message());
      fail_open(slot_index);
      return;
    }
    spdlog::debug("connection {}: connecting to {}", link->serial, loggable(ticket.url));
  }

  void fail_open(std::size_t slot_index) {
    Slot& slot = slots_[slot_index];
    slot.opening = false;
    status_.count([](SocketModeStats& s) { ++s.open_failures; });
    open(slot_index, slot.backoff.after_failure());
  }

  template <typename Endpoint>
  std::shared_ptr<Link> connect(Endpoint& endpoint, std::size_t slot_index, const std::string& url,
                                websocketpp::lib::error_code& ec) {
    auto connection = endpoint.get_connection(url, ec);
    if (ec) return nullptr;
    auto link = std::make_shared<EndpointLink<Endpoint>>(connection, ++next_serial_, slot_index,
                                                         options_, clock_.steady_now());
    std::weak_ptr<Link> weak = link;
    connection->set_open_handshake_timeout(options_.hello_timeout.count());
    connection->set_close_handshake_timeout(1000);
    connection->set_message_handler(
        [this, weak](websocketpp::connection_hdl, typename Endpoint::message_ptr message) {
          if (auto l = weak.lock()) on_message(l, message->get_payload());
        });
    connection->set_ping_handler([this, weak](websocketpp::connection_hdl, std::string) {
      if (auto l = weak.lock()) l->keep_alive.heard(clock_.steady_now());
      return true;  // answer with a pong
    });
    connection->set_pong_handler([this, weak](websocketpp::connection_hdl, std::string) {
      if (auto l = weak.lock()) l->keep_alive.answered(clock_.steady_now());
    });
    connection->set_open_handler([this, weak, &endpoint](websocketpp::connection_hdl hdl) {
      // Acks are small frames sent back to back; without TCP_NODELAY, Nagle's
      // algorithm holds one until the previous is acknowledged (up to 40 ms
      // with delayed ACKs). The connection is found through its handle:
      // capturing it here would make it own itself.
      asio::error_code ignored;
      if (auto c = endpoint.get_con_from_hdl(hdl, ignored)) {
        c->get_raw_socket().lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
      }
      if (auto l = weak.lock()) {
        l->keep_alive.heard(clock_.steady_now());
        status_.count([](SocketModeStats& s) { ++s.connections_opened; });
      }
    });
    connection->set_close_handler([this, weak](websocketpp::connection_hdl) {
      if (auto l = weak.lock()) on_closed(l, "closed");
    });
    connection->set_fail_handler([this, weak, &endpoint](websocketpp::connection_hdl hdl) {
      std::string reason = "failed";
      websocketpp::lib::error_code ignored;
      if (auto c = endpoint.get_con_from_hdl(hdl, ignored)) reason = c->get_ec().message();
      if (auto l = weak.lock()) on_closed(l, reason);
    });
    links_.insert(link);
    status_.socket_opened();
    endpoint.connect(connection);
    return link;
  }

  // The new connection takes over its slot; the one it replaces drains.
  void on_hello(const std::shared_ptr<Link>& link, const Hello& hello) {
    if (link->live || link->closed) return;
    link->live = true;
    const auto now = clock_.steady_now();
    link->hello_at = now;
    Slot& slot = slots_[link->slot];
    slot.opening = false;
    std::shared_ptr<Link> old = std::move(slot.active);
    slot.active = link;
    spdlog::info("connection {} live (slot {}, Slack reports {} connections, refresh in ~{} s)",
                 link->serial, link->slot, hello.num_connections,
                 hello.approximate_connection_time_s);
    if (old && !old->closed && old->drain.begin(now + options_.refresh_drain)) {
      spdlog::debug("connection {}: draining ({} envelopes unacked)", old->serial,
                    old->drain.unacked());
    }
    status_.count([](SocketModeStats& s) { ++s.live_connections; });
  }

  void on_closed(const std::shared_ptr<Link>& link, const std::string& reason) {
    if (link->closed) return;
    link->closed = true;
    links_.erase(link);
    status_.socket_closed(link->live);
    if (stopping_) return;
    Slot& slot = slots_[link->slot];
    if (!link->live) {
      // A connection that never said hello is a failed attempt, unless we
      // gave up on it ourselves and have counted the failure already.
      if (!link->drain.draining()) {
        spdlog::warn("connection {}: could not connect: {}", link->serial, reason);
        fail_open(link->slot);
      }
      return;
    }
    if (slot.active != link) return;  // a drained or replaced connection
    slot.active.reset();
    metrics::registry().reconnects.add({"closed"});
    spdlog::warn("connection {}: {} ; reconnecting", link->serial, reason);
    open(link->slot, slot.backoff.after_drop(link->hello_at, clock_.steady_now()));
  }

  // ---- frames and envelopes ----

  void on_message(const std::shared_ptr<Link>& link, const std::string& text) {
    link->keep_alive.answered(clock_.steady_now());
    Frame frame = parse_frame(text);
    if (auto* envelope = std::get_if<Envelope>(&frame)) {
      on_envelope(link, std::move(*envelope));
    } else if (const auto* hello = std::get_if<Hello>(&frame)) {
      on_hello(link, *hello);
    } else if (const auto* disconnect = std::get_if<Disconnect>(&frame)) {
      on_disconnect(link, *disconnect);
    } else if (const auto* bad = std::get_if<MalformedFrame>(&frame)) {
      if (bad->forged_id) {
        // Refused before any handler or the store sees it.
        status_.count([](SocketModeStats& s) { ++s.forged_ids; });
        if (const auto held_back = forged_id_log_.admit()) {
          spdlog::warn("connection {}: refused an envelope: {}{}", link->serial, bad->reason,
                       held_back_note(*held_back));
        }
      } else {
        status_.count([](SocketModeStats& s) { ++s.malformed_frames; });
        if (const auto held_back = malformed_log_.admit()) {
          spdlog::warn("connection {}: malformed frame ({} bytes): {}{}", link->serial, text.size(),
                       bad->reason, held_back_note(*held_back));
        }
      }
      if (!bad->envelope_id.empty()) {
        // Acked so Slack stops redelivering what we can never handle.
        nlohmann::json ack = {{"envelope_id", bad->envelope_id}};
        link->send_text(ack.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        status_.count([](SocketModeStats& s) { ++s.acks_sent; });
      }
    }
  }

  void on_envelope(const std::shared_ptr<Link>& link, Envelope envelope) {
    // The deadline counts from arrival: the handler may already be running
    // on a worker once dispatch() returns.
    const auto received = clock_.steady_now();
    status_.count([](SocketModeStats& s) { ++s.envelopes; });
    if (stopping_) return;  // left unacked: Slack delivers it elsewhere
    auto ack = std::make_shared<PendingAck>(*this, link, envelope.envelope_id);
    link->drain.envelope_taken();
    const auto* view = std::get_if<ViewSubmission>(&envelope.request);
    const bool form_submitted = view != nullptr && !view->closed;
    if (!dispatcher_.dispatch(std::move(envelope), ack)) {
      link->drain.envelope_released();
      return;
    }
    // A form's submission waits longer, within Slack's 3 s: its errors must
    // reach the person while the form is still open.
    if (form_submitted) {
      form_ack_deadlines_.push_back({received + options_.view_ack_deadline, std::move(ack)});
    } else {
      ack_deadlines_.push_back({received + options_.ack_deadline, std::move(ack)});
    }
  }

  // Envelopes whose handler is still running are acked empty at the
  // deadline; the reply will travel through response_url. One the inbox
  // has not recorded yet waits for it (the inbox writes in arrival order, so
  // those behind it wait little longer), within Slack's 3 s. One held for
  // its reply is sent by the handler's thread.
  // Each queue is in deadline order, as envelopes arrive.
  void send_overdue_acks(Steady::time_point now) {
    for (auto* deadlines : {&ack_deadlines_, &form_ack_deadlines_}) {
      while (!deadlines->empty()) {
        const AckDeadline& front = deadlines->front();
        // Sent, or held for a reply that will send it: nothing to wait for.
        if (front.ack->waiting_for_deadline()) {
          if (front.at > now || !front.ack->send_at_deadline()) break;
        }
        deadlines->pop_front();
      }
    }
  }

  // ---- refresh: replace first, close the old one once drained ----

  void on_disconnect(const std::shared_ptr<Link>& link, const Disconnect& disconnect) {
    spdlog::info("connection {}: Slack says disconnect ({})", link->serial, disconnect.reason);
    if (disconnect.reason == "link_disabled") {
      status_.finish(
          ClientOutcome::kLinkDisabled,
          "Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on in the "
          "app's settings, then start the bot again");
      return;
    }
    Slot& slot = slots_[link->slot];
    if (disconnect.reason == "too_many_websockets") {
      // Slack already holds its maximum of connections for this app; more
      // attempts right away would only be refused again.
      link->drain.abandon();
      metrics::registry().reconnects.add({"too_many_websockets"});
      link->close(websocketpp::close::status::normal, "too many websockets");
      if (slot.active == link) slot.active.reset();
      open(link->slot, slot.backoff.after_failure());
      return;
    }
    // warning, refresh_requested and anything new: replace this connection
    // first; on_hello of the replacement drains it.
    if (slot.active == link) {
      metrics::registry().reconnects.add({disconnect_reason_label(disconnect.reason)});
      open(link->slot, std::chrono::milliseconds{0});
    }
  }

  // ---- the periodic check: ack deadlines, retries, drains, hello, keep-alive ----

  // The check runs on real time, a few times per shortest deadline; what is
  // due is decided by clock_. With a ManualClock nothing falls due until the
  // test moves it, and then within one period.
  void schedule_tick() {
    const auto period = std::clamp(
        std::min({options_.ack_deadline, options_.ping_interval, options_.pong_timeout}) / 4,
        std::chrono::milliseconds{2}, std::chrono::milliseconds{100});
    tick_.expires_after(period);
    tick_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      on_tick();
      schedule_tick();
    });
  }

  void on_tick() {
    const auto now = clock_.steady_now();
    send_overdue_acks(now);
    request_due_retries(now);
    std::vector<std::shared_ptr<Link>> snapshot(links_.begin(), links_.end());
    for (const auto& link : snapshot) {
      if (link->closed) continue;
      if (link->drain.draining()) {
        // A replaced link closes once drained. One we gave up on was sent
        // its close already; this second close finds it closing and drops
        // the socket, so a dead peer cannot hold it open until the close
        // handshake times out.
        if (link->drain.claim_close(now))
          link->close(websocketpp::close::status::normal, "replaced");
      } else if (!link->live) {
        if (now - link->created > options_.hello_timeout) give_up_waiting_for_hello(link);
      } else {
        check_keep_alive(link, now);
      }
    }
  }

  void give_up_waiting_for_hello(const std::shared_ptr<Link>& link) {
    spdlog::warn("connection {}: no hello within {} ms", link->serial,
                 options_.hello_timeout.count());
    link->drain.abandon();
    link->close(websocketpp::close::status::normal, "no hello");
    fail_open(link->slot);
  }

  void check_keep_alive(const std::shared_ptr<Link>& link, Steady::time_point now) {
    switch (link->keep_alive.next(now)) {
      case KeepAlive::Step::kWait:
        break;
      case KeepAlive::Step::kPing:
        link->ping();
        link->keep_alive.pinged(now);
        break;
      case KeepAlive::Step::kDead:
        replace_dead(link);
        break;
    }
  }

  // Half-open: the socket looks fine but nothing comes back. Replace it now;
  // the old one may take a while to notice it is dead.
  void replace_dead(const std::shared_ptr<Link>& link) {
    spdlog::warn("connection {}: no pong within {} ms; replacing it", link->serial,
                 options_.pong_timeout.count());
    metrics::registry().reconnects.add({"no_pong"});
    status_.count([](SocketModeStats& s) { ++s.dead_sockets; });
    Slot& slot = slots_[link->slot];
    link->drain.abandon();
    link->close(websocketpp::close::status::going_away, "no pong");
    if (slot.active != link) return;
    slot.active.reset();
    // Counted out of the live connections now, not again when it closes.
    status_.live_lost();
    link->live = false;
    open(link->slot, std::chrono::milliseconds{0});
  }

  SocketModeOptions options_;
  Dispatcher& dispatcher_;
  const Clock& clock_;
  // A hostile sender can repeat bad frames at will; the log gets one line
  // per interval for each kind, with a count.
  LogThrottle malformed_log_;
  LogThrottle forged_id_log_;

  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  PlainEndpoint plain_;
  TlsEndpoint tls_;
  asio::steady_timer tick_;
  std::thread thread_;
  // After io_: its thread posts tickets into io_ until it is joined.
  TicketOpener opener_;

  // Socket thread only.
  std::vector<Slot> slots_;
  std::set<std::shared_ptr<Link>> links_;
  std::deque<AckDeadline> ack_deadlines_;
  std::deque<AckDeadline> form_ack_deadlines_;
  std::uint64_t next_serial_ = 0;
  std::string next_tls_host_;
  bool stopping_ = false;

  // Shared with the threads that call the public API.
  SocketModeStatus status_;
};

SocketModeClient::SocketModeClient(SocketModeOptions options, TicketSource tickets,
                                   Dispatcher& dispatcher, const Clock& clock)
    : impl_(std::make_unique<Impl>(options, std::move(tickets), dispatcher, clock)) {}
SocketModeClient::~SocketModeClient() = default;
void SocketModeClient::start() {
  impl_->start();
}
ClientOutcome SocketModeClient::wait(std::chrono::milliseconds timeout) {
  return impl_->status().wait_for_outcome(timeout);
}
bool SocketModeClient::shutdown(std::chrono::milliseconds grace) {
  return impl_->shutdown(grace);
}
ClientOutcome SocketModeClient::outcome() const {
  return impl_->status().outcome();
}
std::string SocketModeClient::outcome_message() const {
  return impl_->status().message();
}
SocketModeStats SocketModeClient::stats() const {
  return impl_->status().stats();
}
bool SocketModeClient::wait_until_live(std::size_t count, std::chrono::milliseconds timeout) {
  return impl_->status().wait_until_live(count, timeout);
}

}  // namespace ff
