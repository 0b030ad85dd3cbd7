#include "bot/ops/ops_listener.hpp"

#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

namespace ff::ops {

namespace {

using Server = websocketpp::server<websocketpp::config::asio>;
using websocketpp::http::status_code::value;

// A scraper or a health check sends a short GET; anything that takes longer
// than this to arrive whole is closed.
constexpr long kRequestTimeoutMs = 5000;
// GET carries no body; a few bytes of slack for clients that send one.
constexpr std::size_t kMaxBody = 1024;

ListenError bad_address(const std::string& text, const std::string& why) {
  return ListenError("'" + text + "' " + why +
                     " (host:port, such as 127.0.0.1:9464 or [::1]:9464)");
}

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw bad_address(text, "has no port");
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty()) address.host = "127.0.0.1";
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    throw bad_address(text, "has no port from 0 to 65535");
  }
  address.port = static_cast<std::uint16_t>(std::stoul(port));
  asio::error_code error;
  asio::ip::make_address(address.host, error);
  if (error) throw bad_address(text, "has no IP address to listen on");
  return address;
}

struct OpsListener::Impl {
  Impl(const std::string& text, OpsSources sources) : sources_(std::move(sources)) {
    const ListenAddress address = parse_listen_address(text);
    server_.clear_access_channels(websocketpp::log::alevel::all);
    server_.clear_error_channels(websocketpp::log::elevel::all);
    server_.init_asio(&io_);
    server_.set_open_handshake_timeout(kRequestTimeoutMs);
    server_.set_max_http_body_size(kMaxBody);
    // Nobody opens a WebSocket here.
    server_.set_validate_handler([](websocketpp::connection_hdl) { return false; });
    server_.set_http_handler([this](websocketpp::connection_hdl hdl) { answer(hdl); });
    asio::error_code error;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    server_.listen(endpoint, error);
    if (error) {
      throw ListenError("cannot listen on " + text + ": " + error.message());
    }
    server_.start_accept(error);
    if (error) {
      throw ListenError("cannot accept on " + text + ": " + error.message());
    }
    port_ = server_.get_local_endpoint(error).port();
    thread_ = std::thread([this] { io_.run(); });
    spdlog::info("ops listener on {}:{} (/healthz, /readyz, /metrics)", address.host, port_);
  }

  ~Impl() {
    asio::post(io_, [this] {
      asio::error_code ignored;
      server_.stop_listening(ignored);
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  }

  void answer(websocketpp::connection_hdl hdl) {
    const auto con = server_.get_con_from_hdl(hdl);
    std::string path = con->get_resource();
    path = path.substr(0, path.find('?'));
    const std::string& method = con->get_request().get_method();
    if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
      reply(*con, value::not_found, "text/plain; charset=utf-8", "not found\n");
      return;
    }
    if (method != "GET" && method != "HEAD") {
      con->append_header("Allow", "GET, HEAD");
      reply(*con, value::method_not_allowed, "text/plain; charset=utf-8", "GET only\n");
      return;
    }
    try {
      if (path == "/metrics") {
        reply(*con, value::ok, "text/plain; version=0.0.4; charset=utf-8", sources_.metrics());
      } else if (path == "/healthz") {
        health(*con, sources_.problems(), "unhealthy");
      } else {
        health(*con,
               sources_.ready() ? std::vector<std::string>{}
                                : std::vector<std::string>{"slack: no hello yet"},
               "not_ready");
      }
    } catch (const std::exception& error) {
      spdlog::warn("ops listener: {} failed: {}", path, error.what());
      reply(*con, value::internal_server_error, "text/plain; charset=utf-8", "error\n");
    }
  }

  static void health(Server::connection_type& con, const std::vector<std::string>& problems,
                     const char* failing) {
    nlohmann::json body = {{"status", problems.empty() ? "ok" : failing}};
    if (!problems.empty()) body["problems"] = problems;
    reply(con, problems.empty() ? value::ok : value::service_unavailable,
          "application/json; charset=utf-8", body.dump() + "\n");
  }

  static void reply(Server::connection_type& con, value status, const char* type,
                    std::string body) {
    con.set_status(status);
    con.replace_header("Content-Type", type);
    con.replace_header("Cache-Control", "no-store");
    con.set_body(std::move(body));
  }

  OpsSources sources_;
  asio::io_context io_;
  Server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

OpsListener::OpsListener(const std::string& address, OpsSources sources)
    : impl_(std::make_unique<Impl>(address, std::move(sources))) {}

OpsListener::~OpsListener() = default;

std::uint16_t OpsListener::port() const {
  return impl_->port_;
}

}  // namespace ff::ops
