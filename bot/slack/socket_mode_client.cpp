#include "bot/slack/socket_mode_client.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <asio/ssl/host_name_verification.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>
#include <websocketpp/uri.hpp>

namespace ff {
namespace {

using Steady = std::chrono::steady_clock;
using PlainEndpoint = websocketpp::client<websocketpp::config::asio_client>;
using TlsEndpoint = websocketpp::client<websocketpp::config::asio_tls_client>;

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
class Link : public std::enable_shared_from_this<Link> {
 public:
  virtual ~Link() = default;
  virtual void send_text(const std::string& text) = 0;
  virtual void ping() = 0;
  virtual void close(std::uint16_t code, const std::string& reason) = 0;

  std::size_t slot = 0;
  std::uint64_t serial = 0;
  bool live = false;      // hello received
  bool draining = false;  // replaced; closes once its envelopes are acked
  bool closed = false;
  bool close_sent = false;
  Steady::time_point created = Steady::now();
  Steady::time_point hello_at{};
  Steady::time_point last_inbound = Steady::now();
  Steady::time_point ping_sent{};
  bool awaiting_pong = false;
  Steady::time_point drain_deadline{};
  std::size_t unacked = 0;
};

namespace {

template <typename Endpoint>
class EndpointLink final : public Link {
 public:
  EndpointLink(Endpoint& endpoint, typename Endpoint::connection_ptr connection)
      : endpoint_(endpoint), connection_(std::move(connection)) {}

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
    if (ec) {
      // Not open yet, or already closing: drop the socket outright.
      connection_->get_raw_socket().lowest_layer().close(ec);
    }
  }

 private:
  [[maybe_unused]] Endpoint& endpoint_;
  typename Endpoint::connection_ptr connection_;
};

}  // namespace

class SocketModeClient::Impl {
 public:
  Impl(SocketModeOptions options, TicketSource tickets, Dispatcher& dispatcher)
      : options_(options),
        tickets_(std::move(tickets)),
        dispatcher_(dispatcher),
        tick_(io_),
        slots_(static_cast<std::size_t>(std::max(1, options.connections))),
        random_(std::random_device{}()) {
    setup_endpoint(plain_);
    setup_endpoint(tls_);
    // websocketpp asks for the TLS context inside get_connection(), before
    // the connection has a handle, so the host travels in next_tls_host_.
    tls_.set_tls_init_handler(
        [this](websocketpp::connection_hdl) { return tls_context(next_tls_host_); });
    for (auto& s : slots_) s.retry = std::make_unique<asio::steady_timer>(io_);
  }

  ~Impl() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
    if (opener_.joinable()) opener_.join();
  }

  void start() {
    work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    opener_ = std::thread([this] { run_opener(); });
    thread_ = std::thread([this] { io_.run(); });
    asio::post(io_, [this] {
      for (std::size_t i = 0; i < slots_.size(); ++i) open(i, std::chrono::milliseconds{0});
      schedule_tick();
    });
  }

  ClientOutcome wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_mutex_);
    state_changed_.wait_for(lock, timeout, [this] { return outcome_ != ClientOutcome::kRunning; });
    return outcome_;
  }

  bool wait_until_live(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_mutex_);
    return state_changed_.wait_for(lock, timeout, [&] { return stats_.live_connections >= count; });
  }

  void shutdown(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    const auto deadline = Steady::now() + grace;
    asio::post(io_, [this] { stopping_ = true; });
    dispatcher_.stop_accepting();
    if (!dispatcher_.wait_idle(deadline)) {
      spdlog::warn("shutting down with {} envelopes still in flight", dispatcher_.in_flight());
    }
    // Acks queued by the last handlers are posted before this, so they leave
    // before the close frames.
    asio::post(io_, [this] {
      for (const auto& link : links_)
        link->close(websocketpp::close::status::normal, "shutting down");
    });
    {
      std::unique_lock lock(state_mutex_);
      state_changed_.wait_for(lock, std::chrono::milliseconds{1000},
                              [this] { return open_links_ == 0; });
      if (outcome_ == ClientOutcome::kRunning) outcome_ = ClientOutcome::kStopped;
    }
    {
      std::lock_guard lock(opener_mutex_);
      opener_stopping_ = true;
    }
    opener_wake_.notify_all();
    work_.reset();
    io_.stop();
    thread_.join();
    if (opener_.joinable()) opener_.join();
  }

  ClientOutcome outcome() const {
    std::lock_guard lock(state_mutex_);
    return outcome_;
  }
  std::string outcome_message() const {
    std::lock_guard lock(state_mutex_);
    return outcome_message_;
  }
  SocketModeStats stats() const {
    std::lock_guard lock(state_mutex_);
    return stats_;
  }

 private:
  struct Slot {
    std::shared_ptr<Link> active;
    bool opening = false;
    int failures = 0;
    std::unique_ptr<asio::steady_timer> retry;
  };

  // An ack that leaves once, from whichever thread wins.
  class PendingAck final : public Ack {
   public:
    PendingAck(Impl& owner, std::weak_ptr<Link> link, std::string envelope_id)
        : owner_(owner), link_(std::move(link)), envelope_id_(std::move(envelope_id)) {}

    bool send(std::optional<nlohmann::json> payload) override {
      if (sent_.exchange(true)) return false;
      nlohmann::json frame = {{"envelope_id", envelope_id_}};
      if (payload) frame["payload"] = std::move(*payload);
      std::string text = frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      asio::post(owner_.io_, [&owner = owner_, link = link_, text = std::move(text)] {
        if (auto l = link.lock()) {
          l->send_text(text);
          if (l->unacked > 0) --l->unacked;
          owner.count([](SocketModeStats& s) { ++s.acks_sent; });
        }
      });
      return !link_.expired();
    }
    bool sent() const { return sent_.load(); }

   private:
    Impl& owner_;
    std::weak_ptr<Link> link_;
    std::string envelope_id_;
    std::atomic<bool> sent_{false};
  };

  struct Deadline {
    Steady::time_point at;
    std::shared_ptr<PendingAck> ack;
  };

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

  template <typename F>
  void count(F&& update) {
    std::lock_guard lock(state_mutex_);
    update(stats_);
    state_changed_.notify_all();
  }

  void finish(ClientOutcome outcome, std::string message) {
    std::lock_guard lock(state_mutex_);
    if (outcome_ == ClientOutcome::kRunning) {
      outcome_ = outcome;
      outcome_message_ = std::move(message);
    }
    state_changed_.notify_all();
  }

  std::chrono::milliseconds backoff(int failures) {
    if (failures <= 0) return std::chrono::milliseconds{0};
    const double base = static_cast<double>(options_.reconnect_min.count()) *
                        std::pow(2.0, std::min(failures - 1, 20));
    const double capped = std::min(base, static_cast<double>(options_.reconnect_max.count()));
    // Jitter spreads the reconnects of many instances after a Slack outage.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::milliseconds{static_cast<long long>(capped * jitter(random_))};
  }

  // Asks the opener thread for a ticket after `delay`; the HTTP call must
  // never block the socket thread's acks and pings.
  void open(std::size_t slot_index, std::chrono::milliseconds delay) {
    Slot& slot = slots_[slot_index];
    if (slot.opening || stopping_) return;
    slot.opening = true;
    auto request = [this, slot_index] {
      {
        std::lock_guard lock(opener_mutex_);
        opener_queue_.push_back(slot_index);
      }
      opener_wake_.notify_one();
    };
    if (delay.count() == 0) {
      request();
      return;
    }
    spdlog::info("connection slot {}: reconnecting in {} ms", slot_index, delay.count());
    slot.retry->expires_after(delay);
    slot.retry->async_wait([request](const asio::error_code& ec) {
      if (!ec) request();
    });
  }

  void run_opener() {
    for (;;) {
      std::size_t slot_index = 0;
      {
        std::unique_lock lock(opener_mutex_);
        opener_wake_.wait(lock, [this] { return opener_stopping_ || !opener_queue_.empty(); });
        if (opener_stopping_) return;
        slot_index = opener_queue_.front();
        opener_queue_.pop_front();
      }
      ConnectionTicket ticket = tickets_();
      asio::post(io_,
                 [this, slot_index, ticket = std::move(ticket)] { on_ticket(slot_index, ticket); });
    }
  }

  void on_ticket(std::size_t slot_index, const ConnectionTicket& ticket) {
    Slot& slot = slots_[slot_index];
    if (stopping_) {
      slot.opening = false;
      return;
    }
    if (ticket.fatal) {
      finish(ClientOutcome::kAuthFailed, ticket.error);
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
      link = connect(tls_, ticket.url, ec);
    } else if (is_loopback_host(uri->get_host())) {
      link = connect(plain_, ticket.url, ec);
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
    link->slot = slot_index;
    spdlog::debug("connection {}: connecting to {}", link->serial, loggable(ticket.url));
  }

  void fail_open(std::size_t slot_index) {
    Slot& slot = slots_[slot_index];
    slot.opening = false;
    ++slot.failures;
    count([](SocketModeStats& s) { ++s.open_failures; });
    open(slot_index, backoff(slot.failures));
  }

  template <typename Endpoint>
  std::shared_ptr<Link> connect(Endpoint& endpoint, const std::string& url,
                                websocketpp::lib::error_code& ec) {
    auto connection = endpoint.get_connection(url, ec);
    if (ec) return nullptr;
    auto link = std::make_shared<EndpointLink<Endpoint>>(endpoint, connection);
    link->serial = ++next_serial_;
    std::weak_ptr<Link> weak = link;
    connection->set_open_handshake_timeout(options_.hello_timeout.count());
    connection->set_close_handshake_timeout(1000);
    connection->set_message_handler(
        [this, weak](websocketpp::connection_hdl, typename Endpoint::message_ptr message) {
          if (auto l = weak.lock()) on_message(l, message->get_payload());
        });
    connection->set_ping_handler([this, weak](websocketpp::connection_hdl, std::string) {
      if (auto l = weak.lock()) l->last_inbound = Steady::now();
      return true;  // answer with a pong
    });
    connection->set_pong_handler([this, weak](websocketpp::connection_hdl, std::string) {
      if (auto l = weak.lock()) {
        l->last_inbound = Steady::now();
        l->awaiting_pong = false;
      }
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
        l->last_inbound = Steady::now();
        count([](SocketModeStats& s) { ++s.connections_opened; });
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
    {
      std::lock_guard lock(state_mutex_);
      ++open_links_;
    }
    endpoint.connect(connection);
    return link;
  }

  void on_message(const std::shared_ptr<Link>& link, const std::string& text) {
    link->last_inbound = Steady::now();
    link->awaiting_pong = false;
    Frame frame = parse_frame(text);
    if (auto* envelope = std::get_if<Envelope>(&frame)) {
      on_envelope(link, std::move(*envelope));
    } else if (const auto* hello = std::get_if<Hello>(&frame)) {
      on_hello(link, *hello);
    } else if (const auto* disconnect = std::get_if<Disconnect>(&frame)) {
      on_disconnect(link, *disconnect);
    } else if (const auto* bad = std::get_if<MalformedFrame>(&frame)) {
      count([](SocketModeStats& s) { ++s.malformed_frames; });
      spdlog::warn("connection {}: malformed frame ({} bytes): {}", link->serial, text.size(),
                   bad->reason);
      if (!bad->envelope_id.empty()) {
        // Acked so Slack stops redelivering what we can never handle.
        nlohmann::json ack = {{"envelope_id", bad->envelope_id}};
        link->send_text(ack.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        count([](SocketModeStats& s) { ++s.acks_sent; });
      }
    }
  }

  void on_envelope(const std::shared_ptr<Link>& link, Envelope envelope) {
    count([](SocketModeStats& s) { ++s.envelopes; });
    if (stopping_) return;  // left unacked: Slack delivers it elsewhere
    auto ack = std::make_shared<PendingAck>(*this, link, envelope.envelope_id);
    ++link->unacked;
    if (!dispatcher_.dispatch(std::move(envelope), ack)) {
      --link->unacked;
      return;
    }
    deadlines_.push_back({Steady::now() + options_.ack_deadline, std::move(ack)});
  }

  void on_hello(const std::shared_ptr<Link>& link, const Hello& hello) {
    if (link->live || link->closed) return;
    link->live = true;
    link->hello_at = Steady::now();
    Slot& slot = slots_[link->slot];
    slot.opening = false;
    std::shared_ptr<Link> old = std::move(slot.active);
    slot.active = link;
    spdlog::info("connection {} live (slot {}, Slack reports {} connections, refresh in ~{} s)",
                 link->serial, link->slot, hello.num_connections,
                 hello.approximate_connection_time_s);
    if (old && !old->closed) drain(old);
    count([](SocketModeStats& s) { ++s.live_connections; });
  }

  void drain(const std::shared_ptr<Link>& link) {
    if (link->draining) return;
    link->draining = true;
    link->drain_deadline = Steady::now() + options_.refresh_drain;
    spdlog::debug("connection {}: draining ({} envelopes unacked)", link->serial, link->unacked);
  }

  void on_disconnect(const std::shared_ptr<Link>& link, const Disconnect& disconnect) {
    spdlog::info("connection {}: Slack says disconnect ({})", link->serial, disconnect.reason);
    if (disconnect.reason == "link_disabled") {
      finish(ClientOutcome::kLinkDisabled,
             "Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on in the "
             "app's settings, then start the bot again");
      return;
    }
    Slot& slot = slots_[link->slot];
    if (disconnect.reason == "too_many_websockets") {
      // Slack already holds its maximum of connections for this app; more
      // attempts right away would only be refused again.
      link->draining = true;
      link->close(websocketpp::close::status::normal, "too many websockets");
      if (slot.active == link) slot.active.reset();
      ++slot.failures;
      open(link->slot, backoff(slot.failures));
      return;
    }
    // warning, refresh_requested and anything new: replace this connection
    // first, then close it.
    if (slot.active == link) open(link->slot, std::chrono::milliseconds{0});
  }

  void on_closed(const std::shared_ptr<Link>& link, const std::string& reason) {
    if (link->closed) return;
    link->closed = true;
    links_.erase(link);
    {
      std::lock_guard lock(state_mutex_);
      --open_links_;
      if (link->live && stats_.live_connections > 0) --stats_.live_connections;
      state_changed_.notify_all();
    }
    if (stopping_) return;
    Slot& slot = slots_[link->slot];
    if (!link->live) {
      // A connection that never said hello is a failed attempt.
      if (!link->draining) {
        spdlog::warn("connection {}: could not connect: {}", link->serial, reason);
        fail_open(link->slot);
      }
      return;
    }
    if (slot.active != link) return;  // a drained or replaced connection
    slot.active.reset();
    // A connection that lived a while earns an immediate reconnect; one that
    // keeps dropping at once backs off.
    const bool short_lived = Steady::now() - link->hello_at < std::chrono::seconds{2};
    slot.failures = short_lived ? slot.failures + 1 : 0;
    spdlog::warn("connection {}: {} ; reconnecting", link->serial, reason);
    open(link->slot, backoff(slot.failures));
  }

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
    const auto now = Steady::now();
    // Envelopes whose handler is still running are acked empty at the
    // deadline; the reply will travel through response_url.
    while (!deadlines_.empty() &&
           (deadlines_.front().at <= now || deadlines_.front().ack->sent())) {
      deadlines_.front().ack->send(std::nullopt);
      deadlines_.pop_front();
    }
    std::vector<std::shared_ptr<Link>> snapshot(links_.begin(), links_.end());
    for (const auto& link : snapshot) {
      if (link->closed) continue;
      if (link->draining) {
        if (!link->close_sent && (link->unacked == 0 || now >= link->drain_deadline)) {
          link->close_sent = true;
          link->close(websocketpp::close::status::normal, "replaced");
        }
        continue;
      }
      if (!link->live) {
        if (now - link->created > options_.hello_timeout) {
          spdlog::warn("connection {}: no hello within {} ms", link->serial,
                       options_.hello_timeout.count());
          link->draining = true;
          link->close(websocketpp::close::status::normal, "no hello");
          fail_open(link->slot);
        }
        continue;
      }
      if (link->awaiting_pong && now - link->ping_sent >= options_.pong_timeout) {
        // Half-open: the socket looks fine but nothing comes back. Replace it
        // now; the old one may take a while to notice it is dead.
        spdlog::warn("connection {}: no pong within {} ms; replacing it", link->serial,
                     options_.pong_timeout.count());
        count([](SocketModeStats& s) { ++s.dead_sockets; });
        Slot& slot = slots_[link->slot];
        link->draining = true;
        link->close(websocketpp::close::status::going_away, "no pong");
        if (slot.active == link) {
          slot.active.reset();
          {
            std::lock_guard lock(state_mutex_);
            if (stats_.live_connections > 0) --stats_.live_connections;
          }
          link->live = false;
          open(link->slot, std::chrono::milliseconds{0});
        }
        continue;
      }
      if (!link->awaiting_pong && now - link->last_inbound >= options_.ping_interval) {
        link->ping();
        link->ping_sent = now;
        link->awaiting_pong = true;
      }
    }
  }

  SocketModeOptions options_;
  TicketSource tickets_;
  Dispatcher& dispatcher_;

  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  PlainEndpoint plain_;
  TlsEndpoint tls_;
  asio::steady_timer tick_;
  std::thread thread_;

  // Socket thread only.
  std::vector<Slot> slots_;
  std::set<std::shared_ptr<Link>> links_;
  std::deque<Deadline> deadlines_;
  std::uint64_t next_serial_ = 0;
  std::string next_tls_host_;
  bool stopping_ = false;
  std::mt19937 random_;

  std::thread opener_;
  std::mutex opener_mutex_;
  std::condition_variable opener_wake_;
  std::deque<std::size_t> opener_queue_;
  bool opener_stopping_ = false;

  mutable std::mutex state_mutex_;
  std::condition_variable state_changed_;
  ClientOutcome outcome_ = ClientOutcome::kRunning;
  std::string outcome_message_;
  SocketModeStats stats_;
  std::size_t open_links_ = 0;
};

SocketModeClient::SocketModeClient(SocketModeOptions options, TicketSource tickets,
                                   Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(options, std::move(tickets), dispatcher)) {}
SocketModeClient::~SocketModeClient() = default;
void SocketModeClient::start() {
  impl_->start();
}
ClientOutcome SocketModeClient::wait(std::chrono::milliseconds timeout) {
  return impl_->wait(timeout);
}
void SocketModeClient::shutdown(std::chrono::milliseconds grace) {
  impl_->shutdown(grace);
}
ClientOutcome SocketModeClient::outcome() const {
  return impl_->outcome();
}
std::string SocketModeClient::outcome_message() const {
  return impl_->outcome_message();
}
SocketModeStats SocketModeClient::stats() const {
  return impl_->stats();
}
bool SocketModeClient::wait_until_live(std::size_t count, std::chrono::milliseconds timeout) {
  return impl_->wait_until_live(count, timeout);
}

}  // namespace ff
