#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bot/clock.hpp"
#include "bot/slack/dispatcher.hpp"

namespace ff {

struct SocketModeOptions {
  int connections = 1;
  std::chrono::milliseconds ack_deadline{100};
  // A form's submission: its errors can only be shown while it is open.
  std::chrono::milliseconds view_ack_deadline{2500};
  std::chrono::milliseconds ping_interval{5000};
  std::chrono::milliseconds pong_timeout{5000};
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30000};
  std::chrono::milliseconds refresh_drain{2000};
  std::chrono::milliseconds hello_timeout{10000};
  // Malformed frames and envelopes refused for a forged id are logged at
  // most once per interval each, with a count of those not logged.
  std::chrono::milliseconds log_interval{10000};
};

// What apps.connections.open answered: a single-use WebSocket URL, or an
// error that is either worth retrying or fatal (a token Slack refuses).
struct ConnectionTicket {
  std::string url;
  std::string error;
  bool fatal = false;
};
using TicketSource = std::function<ConnectionTicket()>;

enum class ClientOutcome { kRunning, kStopped, kLinkDisabled, kAuthFailed };

struct SocketModeStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t live_connections = 0;
  std::uint64_t envelopes = 0;
  std::uint64_t malformed_frames = 0;
  std::uint64_t forged_ids = 0;  // envelopes refused for an id Slack never makes
  std::uint64_t acks_sent = 0;
  std::uint64_t dead_sockets = 0;
  std::uint64_t open_failures = 0;
};

// Keeps `connections` Socket Mode connections to Slack alive and hands every
// envelope to the dispatcher. A replacement connection is opened *before* the
// old one closes (on warning, refresh_requested, or a silent socket), and the
// old one is closed only once its envelopes are acked, so a reconnect loses
// and doubles nothing. The websocketpp and Asio code lives only in the .cpp.
//
// Every timing decision (ack deadlines, keep-alive, hello, drain, reconnect
// back-off) reads `clock`, so a test moves a ManualClock instead of sleeping;
// the socket thread only checks on real time, a few times per deadline. The
// clock must outlive the client. Only waits that hold up a caller's thread
// (shutdown's grace) and the WebSocket handshakes run on real time.
class SocketModeClient {
 public:
  SocketModeClient(SocketModeOptions options, TicketSource tickets, Dispatcher& dispatcher,
                   const Clock& clock = SystemClock::instance());
  ~SocketModeClient();
  SocketModeClient(const SocketModeClient&) = delete;
  SocketModeClient& operator=(const SocketModeClient&) = delete;

  // Starts the socket thread and opens the connections.
  void start();
  // Waits until the client stops by itself (link_disabled, refused token) or
  // the timeout passes; returns the outcome so far.
  ClientOutcome wait(std::chrono::milliseconds timeout);
  // Stops taking envelopes, lets those in flight finish within `grace`,
  // closes every connection cleanly and joins the socket thread. `grace` is
  // real time, whatever the clock: it bounds how long the caller's thread
  // (often a process exiting on SIGTERM) is held, and a deadline read from a
  // ManualClock means nothing to a real wait. False when handlers were still
  // running at the end of the grace (they are not waited for).
  bool shutdown(std::chrono::milliseconds grace);

  ClientOutcome outcome() const;
  std::string outcome_message() const;
  SocketModeStats stats() const;
  // Blocks until `count` connections have said hello, or the timeout passes.
  bool wait_until_live(std::size_t count, std::chrono::milliseconds timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ff
