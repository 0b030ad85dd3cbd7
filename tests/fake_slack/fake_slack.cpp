#include "fake_slack/fake_slack.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

namespace ff::testing {
namespace {

using PlainServer = websocketpp::server<websocketpp::config::asio>;
using TlsServer = websocketpp::server<websocketpp::config::asio_tls>;
using nlohmann::json;

std::string query_value(const std::string& resource, const std::string& key) {
  const auto q = resource.find('?');
  if (q == std::string::npos) return {};
  std::string query = resource.substr(q + 1);
  std::size_t at = 0;
  while (at < query.size()) {
    const auto amp = query.find('&', at);
    const std::string pair =
        query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return {};
}

// The fake workspace's people, as users.info describes them.
const nlohmann::json& people() {
  static const nlohmann::json all = {
      {"U0ALICE", {{"name", "alice"}, {"tz", "Europe/Paris"}, {"tz_offset", 3600}}},
      {"U0BOB", {{"name", "bob"}, {"tz", "America/New_York"}, {"tz_offset", -18000}}},
      {"U0CAROL", {{"name", "carol"}, {"tz", "Asia/Tokyo"}, {"tz_offset", 32400}}},
      {"U0BOT", {{"name", "firstfollower"}, {"tz", "UTC"}, {"tz_offset", 0}, {"is_bot", true}}},
      {"U0GONE", {{"name", "gone"}, {"tz", "UTC"}, {"tz_offset", 0}, {"deleted", true}}},
      // Slack knows no time zone for her.
      {"U0DANA", {{"name", "dana"}}},
  };
  return all;
}

std::string name_of(const std::string& user) {
  return people().contains(user) ? people()[user].value("name", "") : "someone";
}

nlohmann::json user_object(const std::string& user) {
  return {
      {"id", user}, {"username", name_of(user)}, {"name", name_of(user)}, {"team_id", "T0FAKE"}};
}

// The value of one field of a form-encoded body (only what the bot sends:
// ids, no percent-escapes needed).
std::string form_field(const std::string& body, const std::string& field) {
  const std::string key = field + "=";
  for (std::size_t at = 0; at < body.size();) {
    const auto end = std::min(body.find('&', at), body.size());
    if (body.compare(at, key.size(), key) == 0)
      return body.substr(at + key.size(), end - at - key.size());
    at = end + 1;
  }
  return {};
}

}  // namespace

class FakeSlack::Impl {
 public:
  explicit Impl(FakeSlackOptions options) : options_(std::move(options)) {
    setup(plain_);
    plain_.set_http_handler([this](websocketpp::connection_hdl hdl) {
      auto con = plain_.get_con_from_hdl(hdl);
      con->set_status(websocketpp::http::status_code::not_found);
    });
    plain_.listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    plain_.start_accept();
    socket_port_ = plain_.get_local_endpoint(ec_).port();
    const asio::ip::tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
    api_acceptor_.open(loopback.protocol());
    api_acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    api_acceptor_.bind(loopback);
    api_acceptor_.listen();
    api_port_ = api_acceptor_.local_endpoint().port();
    accept_api();
    if (!options_.tls_certificate.empty()) {
      setup(tls_);
      tls_.set_tls_init_handler([this](websocketpp::connection_hdl) {
        auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        context->use_certificate_chain_file(options_.tls_certificate);
        context->use_private_key_file(options_.tls_private_key, asio::ssl::context::pem);
        return context;
      });
      tls_.listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      tls_.start_accept();
      wss_port_ = tls_.get_local_endpoint(ec_).port();
    }
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    on_io([this] {
      websocketpp::lib::error_code ec;
      plain_.stop_listening(ec);
      if (wss_port_ != 0) tls_.stop_listening(ec);
      asio::error_code ignored;
      api_acceptor_.close(ignored);
      for (const auto& weak : api_sessions_) {
        if (auto session = weak.lock()) session->close();
      }
      for (auto& [id, c] : connections_) {
        if (c.open) c.abort();
      }
    });
    io_.stop();
    thread_.join();
    // The connections hold websocketpp handles that must go before the
    // io_context and the servers they belong to.
    connections_.clear();
  }

  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(api_port_) + "/api/"; }

  // ---- called from test threads -------------------------------------------------------
  template <typename F>
  auto on_io(F&& f) -> decltype(f()) {
    using R = decltype(f());
    std::packaged_task<R()> task(std::forward<F>(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  std::vector<int> open_connections() const {
    std::lock_guard lock(mutex_);
    std::vector<int> ids;
    for (const auto& [id, c] : connections_) {
      if (c.open) ids.push_back(id);
    }
    return ids;
  }

  bool wait_for_open(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      std::size_t n = 0;
      for (const auto& [id, c] : connections_) n += c.open ? 1 : 0;
      return n >= count;
    });
  }

  void send_envelope(int connection, const std::string& envelope_id, const std::string& frame) {
    on_io([&] {
      std::lock_guard lock(mutex_);
      auto it = connections_.find(connection);
      if (it == connections_.end() || !it->second.open)
        throw std::runtime_error("no such open connection");
      it->second.unacked[envelope_id] = frame;
      sent_at_[envelope_id] = std::chrono::steady_clock::now();
      it->second.send(frame);
    });
  }

  void send_envelopes(int connection,
                      const std::vector<std::pair<std::string, std::string>>& frames) {
    on_io([&] {
      std::lock_guard lock(mutex_);
      auto it = connections_.find(connection);
      if (it == connections_.end() || !it->second.open)
        throw std::runtime_error("no such open connection");
      for (const auto& [envelope_id, frame] : frames) {
        it->second.unacked[envelope_id] = frame;
        sent_at_[envelope_id] = std::chrono::steady_clock::now();
        it->second.send(frame);
      }
    });
  }

  void send_raw(int connection, const std::string& frame) {
    on_io([&] {
      std::lock_guard lock(mutex_);
      auto it = connections_.find(connection);
      if (it != connections_.end() && it->second.open) it->second.send(frame);
    });
  }

  void close_abruptly(int connection) {
    on_io([&] {
      std::lock_guard lock(mutex_);
      auto it = connections_.find(connection);
      if (it != connections_.end() && it->second.open) it->second.abort();
    });
  }

  void go_silent(int connection) {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(connection);
    if (it != connections_.end()) it->second.silent = true;
  }

  std::string next_envelope_id() {
    std::lock_guard lock(mutex_);
    return "env-" + std::to_string(++envelope_serial_);
  }
  // Each envelope's own, as Slack's are: a redelivery carries the same one.
  std::string response_url_of(const std::string& envelope_id) {
    std::lock_guard lock(mutex_);
    return "http://127.0.0.1:" + std::to_string(api_port_) + "/response/" + envelope_id;
  }

  // ---- shared state ---------------------------------------------------------
  struct Connection {
    bool open = false;
    bool silent = false;
    std::size_t pings = 0;  // ping frames received from the client
    std::function<void(const std::string&)> send;
    std::function<void()> abort;
    std::map<std::string, std::string> unacked;
  };

  FakeSlackOptions options_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<int, Connection> connections_;
  std::map<std::string, std::vector<json>> acks_;
  std::map<std::string, int> ack_connection_;
  std::map<std::string, std::chrono::steady_clock::time_point> sent_at_;
  std::map<std::string, std::chrono::steady_clock::time_point> acked_at_;
  std::size_t total_acks_ = 0;
  std::size_t accepted_ = 0;
  std::size_t max_open_ = 0;
  std::vector<ApiCall> calls_;
  std::deque<Fault> open_faults_;
  std::map<std::string, std::deque<Fault>> method_faults_;
  std::map<std::string, std::chrono::steady_clock::time_point> storms_;  // method: until
  std::optional<PostLimits> post_limits_;
  // Token buckets of the post limits: channel (or "" for the workspace).
  struct PostBucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated{};
  };
  std::map<std::string, PostBucket> post_buckets_;
  std::map<std::string, std::size_t> rate_limited_;
  std::map<std::string, std::pair<std::string, int>> moved_people_;  // user: tz, tz_offset
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> do_not_disturb_;  // user: start, end
  std::map<std::string, bool> tickets_;
  bool redeliver_ = true;
  std::string socket_url_override_;
  int envelope_serial_ = 0;
  int connection_serial_ = 0;
  int ticket_serial_ = 0;
  int ts_serial_ = 0;
  std::size_t api_connections_ = 0;

 private:
  template <typename Server>
  void setup(Server& server) {
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio(&io_);
    server.set_reuse_addr(true);
    server.set_validate_handler([this, &server](websocketpp::connection_hdl hdl) {
      auto con = server.get_con_from_hdl(hdl);
      const std::string ticket = query_value(con->get_resource(), "ticket");
      std::lock_guard lock(mutex_);
      auto it = tickets_.find(ticket);
      if (it == tickets_.end() || it->second) {
        con->set_status(websocketpp::http::status_code::unauthorized);
        return false;  // unknown or already used: tickets are single-use
      }
      it->second = true;
      return true;
    });
    server.set_open_handler(
        [this, &server](websocketpp::connection_hdl hdl) { on_open(server, hdl); });
    server.set_ping_handler([this, &server](websocketpp::connection_hdl hdl, std::string) {
      bool answer = false;
      {
        std::lock_guard lock(mutex_);
        const int id = id_of(server, hdl);
        if (id != 0) {
          // Counted even when silent: a test learns that the client pinged.
          ++connections_[id].pings;
          answer = !connections_[id].silent;
        }
      }
      changed_.notify_all();
      return answer;
    });
    server.set_message_handler(
        [this, &server](websocketpp::connection_hdl hdl, typename Server::message_ptr m) {
          on_client_frame(id_of_locked(server, hdl), m->get_payload());
        });
    server.set_close_handler(
        [this, &server](websocketpp::connection_hdl hdl) { on_gone(id_of_locked(server, hdl)); });
    server.set_fail_handler(
        [this, &server](websocketpp::connection_hdl hdl) { on_gone(id_of_locked(server, hdl)); });
  }

  template <typename Server>
  int id_of(Server& server, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = server.get_con_from_hdl(hdl, ec);
    if (ec) return 0;
    const auto it = ids_.find(con.get());
    return it == ids_.end() ? 0 : it->second;
  }
  template <typename Server>
  int id_of_locked(Server& server, websocketpp::connection_hdl hdl) {
    std::lock_guard lock(mutex_);
    return id_of(server, hdl);
  }

  template <typename Server>
  void on_open(Server& server, websocketpp::connection_hdl hdl) {
    auto con = server.get_con_from_hdl(hdl);
    asio::error_code ignored;
    con->get_raw_socket().lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    std::vector<std::string> redeliver;
    {
      std::lock_guard lock(mutex_);
      const int id = ++connection_serial_;
      ++accepted_;
      ids_[con.get()] = id;
      Connection c;
      c.open = true;
      c.send = [con](const std::string& text) {
        con->send(text, websocketpp::frame::opcode::text);
      };
      c.abort = [con] {
        asio::error_code ignored;
        con->get_raw_socket().lowest_layer().close(ignored);
      };
      connections_[id] = std::move(c);
      std::size_t open = 0;
      for (const auto& [i, other] : connections_) open += other.open ? 1 : 0;
      max_open_ = std::max(max_open_, open);
      const json hello = {{"type", "hello"},
                          {"num_connections", open},
                          {"debug_info",
                           {{"host", "applink-fake-1"},
                            {"build_number", 1},
                            {"approximate_connection_time", 18060}}},
                          {"connection_info", {{"app_id", "A0FAKE"}}}};
      connections_[id].send(hello.dump());
      redeliver.swap(pending_redelivery_frames_);
      for (const auto& frame : redeliver) {
        const auto envelope_id = json::parse(frame).value("envelope_id", "");
        connections_[id].unacked[envelope_id] = frame;
        connections_[id].send(frame);
      }
    }
    changed_.notify_all();
  }

  void on_client_frame(int id, const std::string& text) {
    const json frame = json::parse(text, nullptr, false);
    if (!frame.is_object() || !frame.contains("envelope_id")) return;
    const std::string envelope_id = frame.value("envelope_id", "");
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex_);
      acked_at_.emplace(envelope_id, now);
      acks_[envelope_id].push_back(frame);
      ack_connection_[envelope_id] = id;
      ++total_acks_;
      if (auto it = connections_.find(id); it != connections_.end())
        it->second.unacked.erase(envelope_id);
    }
    changed_.notify_all();
  }

  void on_gone(int id) {
    if (id == 0) return;
    {
      std::lock_guard lock(mutex_);
      auto& c = connections_[id];
      if (!c.open) return;
      c.open = false;
      if (redeliver_ && !c.unacked.empty()) {
        // Slack sends an unacknowledged envelope again on another connection.
        int target = 0;
        for (const auto& [other_id, other] : connections_) {
          if (other.open && !other.silent) target = other_id;
        }
        for (auto& [envelope_id, frame] : c.unacked) {
          if (target != 0) {
            connections_[target].unacked[envelope_id] = frame;
            connections_[target].send(frame);
          } else {
            pending_redelivery_frames_.push_back(frame);
          }
        }
        c.unacked.clear();
      }
    }
    changed_.notify_all();
  }

  // ---- the Web API: HTTP/1.1 with keep-alive, as Slack serves it ----
  // websocketpp closes every plain HTTP connection after one answer, so a
  // client would never reuse one; faults that only happen on a reused
  // connection need a server that keeps them open.

  struct HttpAnswer {
    int status = 200;
    int retry_after = 0;
    json body;
    bool reset = false;  // reset the connection instead of answering
  };

  class ApiSession : public std::enable_shared_from_this<ApiSession> {
   public:
    ApiSession(Impl& fake, asio::ip::tcp::socket socket)
        : fake_(fake), socket_(std::move(socket)) {}
    void start() { read_head(); }
    void close() {
      asio::error_code ignored;
      socket_.close(ignored);
    }

   private:
    void read_head() {
      asio::async_read_until(socket_, buffer_, "\r\n\r\n",
                             [self = shared_from_this()](asio::error_code ec, std::size_t size) {
                               if (!ec) self->on_head(size);
                             });
    }

    void on_head(std::size_t size) {
      const std::string head(asio::buffers_begin(buffer_.data()),
                             asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
      buffer_.consume(size);
      headers_.clear();
      const auto first_line_end = head.find("\r\n");
      const std::string request_line = head.substr(0, first_line_end);
      const auto target_at = request_line.find(' ') + 1;
      path_ = request_line.substr(target_at, request_line.find(' ', target_at) - target_at);
      for (auto at = first_line_end + 2; at < head.size();) {
        const auto end = head.find("\r\n", at);
        const std::string line = head.substr(at, end - at);
        at = end + 2;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto value_at = line.find_first_not_of(' ', colon + 1);
        headers_[name] = value_at == std::string::npos ? "" : line.substr(value_at);
      }
      const std::size_t length = std::strtoul(header("content-length").c_str(), nullptr, 10);
      if (buffer_.size() >= length) return on_body(length);
      asio::async_read(socket_, buffer_, asio::transfer_exactly(length - buffer_.size()),
                       [self = shared_from_this(), length](asio::error_code ec, std::size_t) {
                         if (!ec) self->on_body(length);
                       });
    }

    void on_body(std::size_t length) {
      const std::string body(asio::buffers_begin(buffer_.data()),
                             asio::buffers_begin(buffer_.data()) + static_cast<long>(length));
      buffer_.consume(length);
      const HttpAnswer answer =
          fake_.answer_http(path_, header("authorization"), header("content-type"), body);
      if (answer.reset) {
        // An RST, not a FIN: the request was read, and no answer will come.
        asio::error_code ignored;
        socket_.set_option(asio::socket_base::linger(true, 0), ignored);
        socket_.close(ignored);
        return;
      }
      const std::string text = answer.body.dump();
      response_ = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                  (answer.status == 200 ? "OK" : "Error") +
                  "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                  std::to_string(text.size()) + "\r\n";
      if (answer.retry_after > 0)
        response_ += "Retry-After: " + std::to_string(answer.retry_after) + "\r\n";
      const bool keep_alive = header("connection") != "close";
      if (!keep_alive) response_ += "Connection: close\r\n";
      response_ += "\r\n" + text;
      asio::async_write(socket_, asio::buffer(response_),
                        [self = shared_from_this(), keep_alive](asio::error_code ec, std::size_t) {
                          if (ec) return;
                          if (keep_alive) {
                            self->read_head();
                          } else {
                            self->close();
                          }
                        });
    }

    std::string header(const std::string& name) const {
      const auto it = headers_.find(name);
      return it == headers_.end() ? std::string() : it->second;
    }

    Impl& fake_;
    asio::ip::tcp::socket socket_;
    asio::streambuf buffer_;
    std::string path_;
    std::map<std::string, std::string> headers_;
    std::string response_;
  };

  void accept_api() {
    api_acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;  // closed: the fake is going away
      asio::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      {
        std::lock_guard lock(mutex_);
        ++api_connections_;
      }
      auto session = std::make_shared<ApiSession>(*this, std::move(socket));
      api_sessions_.erase(std::remove_if(api_sessions_.begin(), api_sessions_.end(),
                                         [](const auto& weak) { return weak.expired(); }),
                          api_sessions_.end());
      api_sessions_.push_back(session);
      session->start();
      accept_api();
    });
  }

  // Records the call, then decides its answer.
  HttpAnswer answer_http(const std::string& path, const std::string& authorization,
                         const std::string& content_type, const std::string& body) {
    ApiCall call;
    call.path = path;
    call.authorization = authorization;
    call.content_type = content_type;
    call.body = body;
    call.json = json::parse(call.body, nullptr, false);
    if (call.json.is_discarded()) call.json = json();

    HttpAnswer answer;
    if (call.path.rfind("/response/", 0) == 0) {
      call.method = "response_url";
      std::lock_guard lock(mutex_);
      answer = take_fault("response_url").value_or(HttpAnswer{200, 0, json{{"ok", true}}});
    } else if (call.path.rfind("/api/", 0) == 0) {
      call.method =
          call.path.substr(5, call.path.find('?') == std::string::npos ? std::string::npos
                                                                       : call.path.find('?') - 5);
      answer = answer_api(call);
    } else {
      answer.status = 404;
      answer.body = {{"ok", false}, {"error", "unknown_method"}};
    }
    call.answer = answer.body;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(call);
    }
    changed_.notify_all();
    return answer;
  }

  // The next queued fault of `method`, as an answer; nullopt to answer as
  // usual. Called with mutex_ held.
  std::optional<HttpAnswer> take_fault(const std::string& method) {
    auto& faults = method == "apps.connections.open" ? open_faults_ : method_faults_[method];
    if (faults.empty()) return std::nullopt;
    const Fault f = faults.front();
    faults.pop_front();
    if (f.http_status == 0) return std::nullopt;
    if (f.reset_after_reading) return HttpAnswer{0, 0, json(), true};
    if (f.http_status != 200) {
      return HttpAnswer{f.http_status, f.retry_after_s,
                        json{{"ok", false}, {"error", "ratelimited"}}};
    }
    return HttpAnswer{200, 0, json{{"ok", false}, {"error", f.error}}};
  }

  // A 429 for a call over a storm or a post limit; nullopt when within.
  // Called with mutex_ held.
  std::optional<HttpAnswer> over_a_limit(const ApiCall& call) {
    const auto now = std::chrono::steady_clock::now();
    const auto limited = [](double seconds) {
      return HttpAnswer{429, std::max(1, static_cast<int>(std::ceil(seconds))),
                        json{{"ok", false}, {"error", "ratelimited"}}};
    };
    if (const auto storm = storms_.find(call.method); storm != storms_.end()) {
      if (now < storm->second)
        return limited(std::chrono::duration<double>(storm->second - now).count());
      storms_.erase(storm);
    }
    if (!post_limits_ || call.method != "chat.postMessage" || !call.json.is_object()) {
      return std::nullopt;
    }
    // Take a token from the channel's bucket and the workspace's, or neither.
    const auto refill = [&](const std::string& key, double capacity, double per_second) {
      auto [it, fresh] = post_buckets_.try_emplace(key, PostBucket{capacity, now});
      PostBucket& b = it->second;
      const double elapsed = std::chrono::duration<double>(now - b.updated).count();
      b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
      b.updated = now;
      return &b;
    };
    const std::string channel = "#" + call.json.value("channel", "");
    PostBucket* per_channel = refill(channel, post_limits_->per_channel_burst, 1.0);
    if (per_channel->tokens < 1) return limited(1 - per_channel->tokens);
    PostBucket* workspace = nullptr;
    if (post_limits_->workspace_per_minute > 0) {
      const double per_second = post_limits_->workspace_per_minute / 60.0;
      workspace = refill("", std::max(1.0, per_second), per_second);
      if (workspace->tokens < 1) return limited((1 - workspace->tokens) / per_second);
    }
    per_channel->tokens -= 1;
    if (workspace != nullptr) workspace->tokens -= 1;
    return std::nullopt;
  }

  HttpAnswer answer_api(const ApiCall& call) {
    std::lock_guard lock(mutex_);
    const bool is_open = call.method == "apps.connections.open";
    if (auto fault = take_fault(call.method)) return *fault;
    const std::string expected = "Bearer " + (is_open ? options_.app_token : options_.bot_token);
    if (call.authorization.empty()) return {200, 0, json{{"ok", false}, {"error", "not_authed"}}};
    if (call.authorization != expected) {
      const bool other_kind =
          call.authorization == "Bearer " + (is_open ? options_.bot_token : options_.app_token);
      return {
          200, 0,
          json{{"ok", false}, {"error", other_kind ? "not_allowed_token_type" : "invalid_auth"}}};
    }
    if (auto limited = over_a_limit(call)) {
      ++rate_limited_[call.method];
      return *limited;
    }
    if (is_open) {
      const std::string ticket = "ticket-" + std::to_string(++ticket_serial_);
      tickets_[ticket] = false;
      std::string url = wss_port_ != 0
                            ? "wss://" + options_.wss_host + ":" + std::to_string(wss_port_)
                            : "ws://127.0.0.1:" + std::to_string(socket_port_);
      if (!socket_url_override_.empty()) url = socket_url_override_;
      return {200, 0,
              json{{"ok", true}, {"url", url + "/link/?ticket=" + ticket + "&app_id=A0FAKE"}}};
    }
    if (call.method == "auth.test") {
      return {200, 0,
              json{{"ok", true},
                   {"url", "https://fake.slack.com/"},
                   {"team", "Fake Team"},
                   {"user", "firstfollower"},
                   {"team_id", "T0FAKE"},
                   {"user_id", "U0BOT"},
                   {"bot_id", "B0BOT"},
                   {"is_enterprise_install", false}}};
    }
    if (call.method == "chat.postMessage" || call.method == "chat.postEphemeral") {
      if (!call.json.is_object()) return {200, 0, json{{"ok", false}, {"error", "invalid_json"}}};
      const std::string channel = call.json.value("channel", "");
      if (channel.empty()) return {200, 0, json{{"ok", false}, {"error", "channel_not_found"}}};
      if (!call.json.contains("text") && !call.json.contains("blocks")) {
        return {200, 0, json{{"ok", false}, {"error", "no_text"}}};
      }
      const std::string ts = "1700000000." + std::to_string(100000 + ++ts_serial_);
      if (call.method == "chat.postEphemeral")
        return {200, 0, json{{"ok", true}, {"message_ts", ts}}};
      // As Slack does, a post to a person lands in the DM with them, and the
      // answer names that conversation (U0ALICE: D0ALICE).
      const bool to_person = channel.front() == 'U' || channel.front() == 'W';
      return {200, 0,
              json{{"ok", true},
                   {"channel", to_person ? "D" + channel.substr(1) : channel},
                   {"ts", ts},
                   {"message",
                    {{"type", "message"}, {"text", call.json.value("text", "")}, {"ts", ts}}}}};
    }
    if (call.method == "chat.update") {
      const std::string channel = call.json.value("channel", "");
      const std::string ts = call.json.value("ts", "");
      if (channel.empty()) return {200, 0, json{{"ok", false}, {"error", "channel_not_found"}}};
      if (ts.empty()) return {200, 0, json{{"ok", false}, {"error", "message_not_found"}}};
      return {200, 0,
              json{{"ok", true},
                   {"channel", channel},
                   {"ts", ts},
                   {"text", call.json.value("text", "")},
                   {"message", {{"type", "message"}, {"text", call.json.value("text", "")}}}}};
    }
    if (call.method == "dnd.info") {
      const std::string user = form_field(call.body, "user");
      if (!people().contains(user))
        return {200, 0, json{{"ok", false}, {"error", "user_not_found"}}};
      json answer = {{"ok", true},
                     {"dnd_enabled", false},
                     {"next_dnd_start_ts", 1},
                     {"next_dnd_end_ts", 1},
                     {"snooze_enabled", false}};
      if (const auto hours = do_not_disturb_.find(user); hours != do_not_disturb_.end()) {
        answer["dnd_enabled"] = true;
        answer["next_dnd_start_ts"] = hours->second.first;
        answer["next_dnd_end_ts"] = hours->second.second;
      }
      return {200, 0, answer};
    }
    if (call.method == "users.info") {
      const std::string user = form_field(call.body, "user");
      if (!people().contains(user))
        return {200, 0, json{{"ok", false}, {"error", "user_not_found"}}};
      const json& person = people()[user];
      json answer = {{"id", user},
                     {"team_id", "T0FAKE"},
                     {"name", person.value("name", "")},
                     {"real_name", person.value("name", "")},
                     {"deleted", person.value("deleted", false)},
                     {"is_bot", person.value("is_bot", false)}};
      if (const auto moved = moved_people_.find(user); moved != moved_people_.end()) {
        answer["tz"] = moved->second.first;
        answer["tz_label"] = moved->second.first;
        answer["tz_offset"] = moved->second.second;
      } else if (person.contains("tz")) {
        answer["tz"] = person["tz"];
        answer["tz_label"] = person["tz"];
        answer["tz_offset"] = person.value("tz_offset", 0);
      }
      return {200, 0, json{{"ok", true}, {"user", answer}}};
    }
    if (call.method == "views.open") {
      // What Slack checks before it shows a modal.
      const json view = call.json.value("view", json::object());
      const bool valid = call.json.value("trigger_id", "") != "" &&
                         view.value("type", "") == "modal" && view.contains("title") &&
                         view.value("blocks", json::array()).size() <= 100 &&
                         view.value("private_metadata", "").size() <= 3000 &&
                         view["title"].value("text", "").size() <= 24;
      if (!valid) return {200, 0, json{{"ok", false}, {"error", "invalid_arguments"}}};
      return {200, 0, json{{"ok", true}, {"view", {{"id", "V0FAKE1"}, {"type", "modal"}}}}};
    }
    if (call.method == "views.publish") {
      // As Slack: invalid_arguments (with a message saying which) for a
      // missing user or a view that is not a Home within its limits,
      // view_too_large past 250 kB; else the view as published.
      const json view = call.json.value("view", json::object());
      const auto invalid = [](const char* why) {
        return HttpAnswer{200, 0,
                          json{{"ok", false},
                               {"error", "invalid_arguments"},
                               {"response_metadata", {{"messages", {why}}}}}};
      };
      const std::string user = call.json.value("user_id", "");
      if (user.size() < 2 || (user[0] != 'U' && user[0] != 'W'))
        return invalid("invalid `user_id`");
      if (view.value("type", "") != "home")
        return invalid("[ERROR] must be home [json-pointer:/view/type]");
      if (!view.contains("blocks") || !view["blocks"].is_array())
        return invalid("[ERROR] missing required field: blocks [json-pointer:/view]");
      if (view["blocks"].size() > 100)
        return invalid("[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]");
      if (view.value("private_metadata", "").size() > 3000)
        return invalid(
            "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]");
      if (call.json["view"].dump().size() > 250 * 1024)
        return {200, 0, json{{"ok", false}, {"error", "view_too_large"}}};
      json published = view;
      published["id"] = "V0HOME" + user;
      published["team_id"] = "T0FAKE";
      published["hash"] = std::to_string(++home_versions_[user]) + ".fake";
      return {200, 0, json{{"ok", true}, {"view", published}}};
    }
    return {200, 0, json{{"ok", true}}};
  }

  asio::io_context io_;
  PlainServer plain_;
  TlsServer tls_;
  websocketpp::lib::error_code ec_;
  std::uint16_t api_port_ = 0;     // the Web API and response_url
  std::uint16_t socket_port_ = 0;  // ws://
  std::uint16_t wss_port_ = 0;
  asio::ip::tcp::acceptor api_acceptor_{io_};
  std::vector<std::weak_ptr<ApiSession>> api_sessions_;  // io thread only
  std::map<const void*, int> ids_;
  std::vector<std::string> pending_redelivery_frames_;
  std::map<std::string, int> home_versions_;  // views.publish calls per person, for the hash
  std::thread thread_;
};

FakeSlack::FakeSlack(FakeSlackOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
FakeSlack::~FakeSlack() = default;
std::string FakeSlack::api_url() const {
  return impl_->api_url();
}
const FakeSlackOptions& FakeSlack::options() const {
  return impl_->options_;
}
std::vector<int> FakeSlack::open_connections() const {
  return impl_->open_connections();
}
bool FakeSlack::wait_for_open_connections(std::size_t count,
                                          std::chrono::milliseconds timeout) const {
  return impl_->wait_for_open(count, timeout);
}
std::size_t FakeSlack::max_open_connections() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->max_open_;
}
std::size_t FakeSlack::connections_accepted() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->accepted_;
}
std::size_t FakeSlack::api_connections_accepted() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->api_connections_;
}

namespace {

// Slack's trigger ids are unique per request, as a handler may rely on.
std::string trigger_id_of(const std::string& envelope_id) {
  return "1337." + envelope_id + ".abcdef";
}

// A slash_commands envelope exactly as Slack sends one.
nlohmann::json slash_command_frame(const std::string& envelope_id, const std::string& command,
                                   const std::string& text, bool accepts_response_payload,
                                   const std::string& response_url,
                                   const std::string& user = "U0ALICE") {
  return {{"envelope_id", envelope_id},
          {"type", "slash_commands"},
          {"accepts_response_payload", accepts_response_payload},
          {"payload",
           {{"token", "deprecated-verification-token"},
            {"team_id", "T0FAKE"},
            {"team_domain", "fake"},
            {"channel_id", "C0GENERAL"},
            {"channel_name", "general"},
            {"user_id", user},
            {"user_name", name_of(user)},
            {"command", command},
            {"text", text},
            {"api_app_id", "A0FAKE"},
            {"is_enterprise_install", "false"},
            {"response_url", response_url},
            {"trigger_id", trigger_id_of(envelope_id)}}}};
}

}  // namespace

std::string FakeSlack::send_slash_command(int connection, const std::string& command,
                                          const std::string& text, bool accepts_response_payload,
                                          std::string envelope_id, const std::string& user) {
  if (envelope_id.empty()) envelope_id = impl_->next_envelope_id();
  const auto frame = slash_command_frame(envelope_id, command, text, accepts_response_payload,
                                         impl_->response_url_of(envelope_id), user);
  impl_->send_envelope(connection, envelope_id, frame.dump());
  return envelope_id;
}

std::vector<std::string> FakeSlack::send_slash_commands(int connection, std::size_t count) {
  std::vector<std::pair<std::string, std::string>> frames;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string envelope_id = impl_->next_envelope_id();
    frames.emplace_back(envelope_id, slash_command_frame(envelope_id, "/coach", "", true,
                                                         impl_->response_url_of(envelope_id))
                                         .dump());
    ids.push_back(envelope_id);
  }
  impl_->send_envelopes(connection, frames);
  return ids;
}

namespace {

// A block_actions payload for one button press, without its container and
// whatever comes with it (a message's channel and response_url, a view).
nlohmann::json press_payload(const std::string& action_id, const std::string& value,
                             const std::string& user, const std::string& trigger_id) {
  return {{"type", "block_actions"},
          {"user", user_object(user)},
          {"api_app_id", "A0FAKE"},
          {"token", "deprecated-verification-token"},
          {"trigger_id", trigger_id},
          {"team", {{"id", "T0FAKE"}, {"domain", "fake"}}},
          {"actions",
           {{{"action_id", action_id},
             {"block_id", "coach_actions"},
             {"text", {{"type", "plain_text"}, {"text", "Another question"}}},
             {"value", value},
             {"type", "button"},
             {"action_ts", "1700000001.000200"}}}}};
}

nlohmann::json interactive_frame(const std::string& envelope_id, const nlohmann::json& payload) {
  return {{"envelope_id", envelope_id},
          {"type", "interactive"},
          {"accepts_response_payload", false},
          {"payload", payload}};
}

}  // namespace

std::string FakeSlack::send_block_action(int connection, const std::string& action_id,
                                         const std::string& value, const std::string& user,
                                         const std::string& channel,
                                         const std::string& message_ts) {
  const std::string envelope_id = impl_->next_envelope_id();
  auto payload = press_payload(action_id, value, user, trigger_id_of(envelope_id));
  payload["container"] = {{"type", "message"},
                          {"message_ts", message_ts},
                          {"channel_id", channel},
                          {"is_ephemeral", false}};
  payload["channel"] = {{"id", channel},
                        {"name", channel == "C0GENERAL" ? "general" : "directmessage"}};
  payload["response_url"] = impl_->response_url_of(envelope_id);
  impl_->send_envelope(connection, envelope_id, interactive_frame(envelope_id, payload).dump());
  return envelope_id;
}

std::string FakeSlack::send_home_block_action(int connection, const std::string& action_id,
                                              const std::string& value, const std::string& user) {
  const std::string envelope_id = impl_->next_envelope_id();
  auto payload = press_payload(action_id, value, user, trigger_id_of(envelope_id));
  payload["container"] = {{"type", "view"}, {"view_id", "V0HOME" + user}};
  payload["view"] = {{"id", "V0HOME" + user},
                     {"team_id", "T0FAKE"},
                     {"type", "home"},
                     {"blocks", nlohmann::json::array()},
                     {"private_metadata", ""},
                     {"callback_id", ""},
                     {"state", {{"values", nlohmann::json::object()}}},
                     {"hash", "1.fake"},
                     {"app_id", "A0FAKE"},
                     {"bot_id", "B0FAKE"}};
  impl_->send_envelope(connection, envelope_id, interactive_frame(envelope_id, payload).dump());
  return envelope_id;
}

std::string FakeSlack::send_app_home_opened(int connection, const std::string& user,
                                            const std::string& tab) {
  const std::string envelope_id = impl_->next_envelope_id();
  const std::string event_id = "Ev" + envelope_id;
  const nlohmann::json frame = {{"envelope_id", envelope_id},
                                {"type", "events_api"},
                                {"accepts_response_payload", false},
                                {"retry_attempt", 0},
                                {"retry_reason", ""},
                                {"payload",
                                 {{"token", "deprecated-verification-token"},
                                  {"team_id", "T0FAKE"},
                                  {"api_app_id", "A0FAKE"},
                                  {"event",
                                   {{"type", "app_home_opened"},
                                    {"user", user},
                                    {"channel", "D" + user.substr(1)},
                                    {"tab", tab},
                                    {"event_ts", "1700000003.000100"}}},
                                  {"type", "event_callback"},
                                  {"event_id", event_id},
                                  {"event_time", 1700000003}}}};
  impl_->send_envelope(connection, envelope_id, frame.dump());
  return envelope_id;
}

std::string FakeSlack::send_message_shortcut(int connection, const std::string& callback_id,
                                             const std::string& message_text,
                                             const std::string& author, const std::string& user) {
  const std::string envelope_id = impl_->next_envelope_id();
  const nlohmann::json frame = {{"envelope_id", envelope_id},
                                {"type", "interactive"},
                                {"accepts_response_payload", false},
                                {"payload",
                                 {{"type", "message_action"},
                                  {"token", "deprecated-verification-token"},
                                  {"action_ts", "1700000002.000300"},
                                  {"team", {{"id", "T0FAKE"}, {"domain", "fake"}}},
                                  {"user", user_object(user)},
                                  {"channel", {{"id", "C0GENERAL"}, {"name", "general"}}},
                                  {"is_enterprise_install", false},
                                  {"callback_id", callback_id},
                                  {"trigger_id", trigger_id_of(envelope_id)},
                                  {"response_url", impl_->response_url_of(envelope_id)},
                                  {"message_ts", "1700000000.000500"},
                                  {"message",
                                   {{"type", "message"},
                                    {"user", author},
                                    {"ts", "1700000000.000500"},
                                    {"text", message_text}}}}}};
  impl_->send_envelope(connection, envelope_id, frame.dump());
  return envelope_id;
}

std::string FakeSlack::send_view_submission(int connection, const std::string& callback_id,
                                            const std::string& private_metadata,
                                            const nlohmann::json& values, const std::string& user) {
  const std::string envelope_id = impl_->next_envelope_id();
  const nlohmann::json frame = {{"envelope_id", envelope_id},
                                {"type", "interactive"},
                                {"accepts_response_payload", true},
                                {"payload",
                                 {{"type", "view_submission"},
                                  {"team", {{"id", "T0FAKE"}, {"domain", "fake"}}},
                                  {"user", user_object(user)},
                                  {"api_app_id", "A0FAKE"},
                                  {"token", "deprecated-verification-token"},
                                  {"trigger_id", trigger_id_of(envelope_id)},
                                  {"view",
                                   {{"id", "V0FAKE1"},
                                    {"team_id", "T0FAKE"},
                                    {"type", "modal"},
                                    {"callback_id", callback_id},
                                    {"private_metadata", private_metadata},
                                    {"state", {{"values", values}}},
                                    {"hash", "1700000003.abcdef"},
                                    {"app_id", "A0FAKE"},
                                    {"bot_id", "B0BOT"}}},
                                  {"response_urls", nlohmann::json::array()}}}};
  impl_->send_envelope(connection, envelope_id, frame.dump());
  return envelope_id;
}

std::string FakeSlack::send_direct_message(int connection, const std::string& text,
                                           const std::string& event_id, int retry_attempt,
                                           const std::string& user, const std::string& thread_ts) {
  const std::string envelope_id = impl_->next_envelope_id();
  // Each message its own ts, as in Slack; a retry of the same event keeps it.
  char micros[8];
  std::snprintf(micros, sizeof micros, "%06zu", std::hash<std::string>{}(event_id) % 1000000);
  const std::string ts = std::string("1700000002.") + micros;
  nlohmann::json frame = {{"envelope_id", envelope_id},
                          {"type", "events_api"},
                          {"accepts_response_payload", false},
                          {"retry_attempt", retry_attempt},
                          {"retry_reason", retry_attempt > 0 ? "timeout" : ""},
                          {"payload",
                           {{"token", "deprecated-verification-token"},
                            {"team_id", "T0FAKE"},
                            {"api_app_id", "A0FAKE"},
                            {"event",
                             {{"type", "message"},
                              {"user", user},
                              {"text", text},
                              {"ts", ts},
                              {"channel", "D" + user.substr(1)},
                              {"event_ts", ts},
                              {"channel_type", "im"}}},
                            {"type", "event_callback"},
                            {"event_id", event_id},
                            {"event_time", 1700000002}}}};
  if (!thread_ts.empty()) frame["payload"]["event"]["thread_ts"] = thread_ts;
  impl_->send_envelope(connection, envelope_id, frame.dump());
  return envelope_id;
}

void FakeSlack::send_raw(int connection, const std::string& frame) {
  impl_->send_raw(connection, frame);
}
void FakeSlack::send_disconnect(int connection, const std::string& reason) {
  impl_->send_raw(connection, nlohmann::json{{"type", "disconnect"},
                                             {"reason", reason},
                                             {"debug_info", {{"host", "applink-fake-1"}}}}
                                  .dump());
}
void FakeSlack::close_abruptly(int connection) {
  impl_->close_abruptly(connection);
}
void FakeSlack::go_silent(int connection) {
  impl_->go_silent(connection);
}
bool FakeSlack::wait_for_pings(int connection, std::size_t count,
                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex_);
  return impl_->changed_.wait_for(lock, timeout, [&] {
    const auto it = impl_->connections_.find(connection);
    return it != impl_->connections_.end() && it->second.pings >= count;
  });
}
void FakeSlack::set_redeliver_unacked(bool on) {
  std::lock_guard lock(impl_->mutex_);
  impl_->redeliver_ = on;
}

std::vector<nlohmann::json> FakeSlack::acks(const std::string& envelope_id) const {
  std::lock_guard lock(impl_->mutex_);
  const auto it = impl_->acks_.find(envelope_id);
  return it == impl_->acks_.end() ? std::vector<nlohmann::json>{} : it->second;
}

std::optional<nlohmann::json> FakeSlack::wait_for_ack(const std::string& envelope_id,
                                                      std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex_);
  if (!impl_->changed_.wait_for(lock, timeout,
                                [&] { return impl_->acks_.count(envelope_id) > 0; })) {
    return std::nullopt;
  }
  return impl_->acks_[envelope_id].front();
}

std::size_t FakeSlack::total_acks() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->total_acks_;
}

std::optional<int> FakeSlack::ack_connection(const std::string& envelope_id) const {
  std::lock_guard lock(impl_->mutex_);
  const auto it = impl_->ack_connection_.find(envelope_id);
  if (it == impl_->ack_connection_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::chrono::nanoseconds> FakeSlack::ack_latency(
    const std::string& envelope_id) const {
  std::lock_guard lock(impl_->mutex_);
  const auto sent = impl_->sent_at_.find(envelope_id);
  const auto acked = impl_->acked_at_.find(envelope_id);
  if (sent == impl_->sent_at_.end() || acked == impl_->acked_at_.end()) return std::nullopt;
  return acked->second - sent->second;
}

std::vector<ApiCall> FakeSlack::calls(const std::string& method) const {
  std::lock_guard lock(impl_->mutex_);
  std::vector<ApiCall> found;
  for (const auto& c : impl_->calls_) {
    if (c.method == method) found.push_back(c);
  }
  return found;
}

bool FakeSlack::wait_for_calls(const std::string& method, std::size_t count,
                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex_);
  return impl_->changed_.wait_for(lock, timeout, [&] {
    std::size_t n = 0;
    for (const auto& c : impl_->calls_) n += c.method == method ? 1 : 0;
    return n >= count;
  });
}

void FakeSlack::queue_connections_open_faults(std::vector<Fault> faults) {
  std::lock_guard lock(impl_->mutex_);
  for (auto& f : faults) impl_->open_faults_.push_back(f);
}
void FakeSlack::queue_method_faults(const std::string& method, std::vector<Fault> faults) {
  std::lock_guard lock(impl_->mutex_);
  for (auto& f : faults) impl_->method_faults_[method].push_back(f);
}
void FakeSlack::rate_limit_for(const std::string& method, std::chrono::seconds how_long) {
  std::lock_guard lock(impl_->mutex_);
  impl_->storms_[method] = std::chrono::steady_clock::now() + how_long;
}
void FakeSlack::enforce_post_limits(PostLimits limits) {
  std::lock_guard lock(impl_->mutex_);
  impl_->post_limits_ = limits;
}
std::size_t FakeSlack::rate_limited_answers(const std::string& method) const {
  std::lock_guard lock(impl_->mutex_);
  const auto it = impl_->rate_limited_.find(method);
  return it == impl_->rate_limited_.end() ? 0 : it->second;
}
void FakeSlack::move_person(const std::string& user, const std::string& time_zone, int tz_offset) {
  std::lock_guard lock(impl_->mutex_);
  impl_->moved_people_[user] = {time_zone, tz_offset};
}
void FakeSlack::set_do_not_disturb(const std::string& user, std::int64_t start_ts,
                                   std::int64_t end_ts) {
  std::lock_guard lock(impl_->mutex_);
  impl_->do_not_disturb_[user] = {start_ts, end_ts};
}
void FakeSlack::override_socket_url(std::string url) {
  std::lock_guard lock(impl_->mutex_);
  impl_->socket_url_override_ = std::move(url);
}

TestCertificates make_test_certificates(const std::string& folder, const std::string& host) {
  TestCertificates t{folder + "/ca.pem", folder + "/server.pem", folder + "/server.key"};
  const std::string ca_key = folder + "/ca.key";
  const std::string csr = folder + "/server.csr";
  const std::string ext = folder + "/server.ext";
  const std::string quiet = " >/dev/null 2>&1";
  const std::string commands[] = {
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=firstfollower-test-ca -keyout " +
          ca_key + " -out " + t.ca_file + quiet,
      "openssl req -newkey rsa:2048 -nodes -subj /CN=" + host + " -keyout " + t.key_file +
          " -out " + csr + quiet,
      "printf 'subjectAltName=DNS:" + host + "\\n' > " + ext,
      "openssl x509 -req -in " + csr + " -CA " + t.ca_file + " -CAkey " + ca_key +
          " -CAcreateserial -days 2 -extfile " + ext + " -out " + t.certificate_file + quiet,
  };
  for (const auto& command : commands) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl failed: " + command);
  }
  return t;
}

}  // namespace ff::testing
