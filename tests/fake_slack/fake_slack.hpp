#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ff::testing {

// A stand-in for Slack on 127.0.0.1 (port 0), speaking its real protocol:
// apps.connections.open with single-use tickets, the Socket Mode WebSocket
// (hello, envelopes, acks, disconnect, pings), the Web API with Slack's
// error shapes, response_url, and faults to inject. Every request is recorded.
struct FakeSlackOptions {
  std::string app_token = "xapp-1-A0FAKE-1-fakeapptoken";
  std::string bot_token = "xoxb-1-fakebottoken";
  // Serve the WebSocket over TLS (wss://) with this certificate and key; the
  // Web API stays plain HTTP.
  std::string tls_certificate;
  std::string tls_private_key;
  std::string wss_host = "localhost";  // the host name put into wss:// URLs
};

struct ApiCall {
  std::string method;  // Web API method, or "response_url"
  std::string path;
  std::string authorization;
  std::string content_type;
  std::string body;
  nlohmann::json json;    // the parsed body, when it was JSON
  nlohmann::json answer;  // what the fake answered (its ts, its channel)
};

struct Fault {
  // 0 answers as usual: it lets the calls before the faulty ones through.
  int http_status = 200;
  std::string error;  // ok:false error, when http_status is 200
  int retry_after_s = 0;
  // Read and record the call, then reset the connection without answering:
  // Slack got the request, the caller never learns what became of it.
  bool reset_after_reading = false;
};

// Slack's own limits on posting (chat.postMessage), as the fake enforces
// them when asked: about one message a second per channel with a short
// burst, and a workspace-wide limit. A post over either is answered HTTP 429
// with Retry-After, and nothing is posted.
struct PostLimits {
  int per_channel_burst = 3;     // then one a second per channel
  int workspace_per_minute = 0;  // 0: none
};

class FakeSlack {
 public:
  explicit FakeSlack(FakeSlackOptions options = {});
  ~FakeSlack();
  FakeSlack(const FakeSlack&) = delete;
  FakeSlack& operator=(const FakeSlack&) = delete;

  std::string api_url() const;  // http://127.0.0.1:PORT/api/
  const FakeSlackOptions& options() const;

  // Socket Mode connections that completed the handshake and are open.
  std::vector<int> open_connections() const;
  bool wait_for_open_connections(std::size_t count, std::chrono::milliseconds timeout) const;
  std::size_t connections_accepted() const;
  // TCP connections the Web API accepted; it keeps them alive between calls.
  std::size_t api_connections_accepted() const;
  // The most Socket Mode connections that were open at the same moment.
  std::size_t max_open_connections() const;

  // Envelopes. Each returns the envelope_id it used. An envelope's response_url
  // is its own, ending in /response/<envelope_id> (a call to it is recorded
  // as method "response_url" with that path), and its trigger_id is unique.
  // Commands, presses, shortcuts and submissions come from `user`: one of
  // the fake's people (U0ALICE, U0BOB, U0CAROL), or any other id.
  std::string send_slash_command(int connection, const std::string& command,
                                 const std::string& text, bool accepts_response_payload = true,
                                 std::string envelope_id = {}, const std::string& user = "U0ALICE");
  // Sends `count` /coach envelopes in one go; returns their ids. For load.
  std::vector<std::string> send_slash_commands(int connection, std::size_t count);
  std::string send_block_action(int connection, const std::string& action_id,
                                const std::string& value, const std::string& user = "U0ALICE",
                                const std::string& channel = "C0GENERAL",
                                const std::string& message_ts = "1700000000.000100");
  // A press on `user`'s App Home: the container is the Home view, and, as
  // in Slack, there is no channel, message or response_url.
  std::string send_home_block_action(int connection, const std::string& action_id,
                                     const std::string& value, const std::string& user);
  // app_home_opened: `user` opened the app's Home tab (or "messages").
  std::string send_app_home_opened(int connection, const std::string& user,
                                   const std::string& tab = "home");
  // A message shortcut ("message_action") on a message `author` wrote.
  std::string send_message_shortcut(int connection, const std::string& callback_id,
                                    const std::string& message_text, const std::string& author,
                                    const std::string& user = "U0ALICE");
  // A view_submission of a modal the bot opened; `values` is view.state.values.
  std::string send_view_submission(int connection, const std::string& callback_id,
                                   const std::string& private_metadata,
                                   const nlohmann::json& values,
                                   const std::string& user = "U0ALICE");
  // A message `user` writes in their DM with the bot (D…), in the thread
  // of `thread_ts` when given.
  std::string send_direct_message(int connection, const std::string& text,
                                  const std::string& event_id, int retry_attempt = 0,
                                  const std::string& user = "U0ALICE",
                                  const std::string& thread_ts = {});
  void send_raw(int connection, const std::string& frame);
  void send_disconnect(int connection, const std::string& reason);
  // Drops the TCP connection without a close frame.
  void close_abruptly(int connection);
  // Stops answering pings and sending anything: a half-open socket.
  void go_silent(int connection);
  // Until the client has sent `count` pings on a connection, answered or not.
  bool wait_for_pings(int connection, std::size_t count, std::chrono::milliseconds timeout) const;
  // Like Slack, redeliver envelopes left unacked when a connection closes.
  void set_redeliver_unacked(bool on);

  // Acks received for an envelope (normally exactly one).
  std::vector<nlohmann::json> acks(const std::string& envelope_id) const;
  std::optional<nlohmann::json> wait_for_ack(const std::string& envelope_id,
                                             std::chrono::milliseconds timeout) const;
  std::size_t total_acks() const;
  // Which connection an envelope's ack came back on.
  std::optional<int> ack_connection(const std::string& envelope_id) const;

  // Time from handing an envelope to the socket to receiving its first ack.
  std::optional<std::chrono::nanoseconds> ack_latency(const std::string& envelope_id) const;

  std::vector<ApiCall> calls(const std::string& method) const;
  bool wait_for_calls(const std::string& method, std::size_t count,
                      std::chrono::milliseconds timeout) const;

  // Faults: the next answers of apps.connections.open, or of a method
  // ("response_url" for posts to response URLs).
  void queue_connections_open_faults(std::vector<Fault> faults);
  void queue_method_faults(const std::string& method, std::vector<Fault> faults);
  // From now, for `how_long`, every call of `method` is answered HTTP 429
  // with Retry-After the seconds left: a storm that lasts a time, as
  // Slack's do (queue_method_faults answers a count of calls instead).
  void rate_limit_for(const std::string& method, std::chrono::seconds how_long);
  void enforce_post_limits(PostLimits limits);
  // Calls of `method` the fake answered with HTTP 429.
  std::size_t rate_limited_answers(const std::string& method) const;
  // A person who moved: users.info gives them this time zone from now on.
  void move_person(const std::string& user, const std::string& time_zone, int tz_offset);
  // dnd.info tells that the person's Do Not Disturb hours run from
  // `start_ts` to `end_ts` (Unix seconds).
  void set_do_not_disturb(const std::string& user, std::int64_t start_ts, std::int64_t end_ts);
  // Ticket URLs point at this host/port instead (e.g. a closed port).
  void override_socket_url(std::string url);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes a self-signed CA and a server certificate for `host` into `folder`
// with the openssl command; returns {ca, certificate, key} paths.
struct TestCertificates {
  std::string ca_file;
  std::string certificate_file;
  std::string key_file;
};
TestCertificates make_test_certificates(const std::string& folder, const std::string& host);

}  // namespace ff::testing
