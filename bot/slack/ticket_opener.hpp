#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "bot/slack/socket_mode_client.hpp"

namespace ff {

// Calls apps.connections.open on a thread of its own: the HTTP call must
// never hold up the socket thread's acks and pings. Requests are served one
// at a time, in order; each ticket goes to `deliver`, on the opener thread.
class TicketOpener {
 public:
  using Delivery = std::function<void(std::size_t slot, ConnectionTicket ticket)>;

  TicketOpener(TicketSource tickets, Delivery deliver);
  ~TicketOpener();
  TicketOpener(const TicketOpener&) = delete;
  TicketOpener& operator=(const TicketOpener&) = delete;

  void start();
  // Asks for a ticket for connection slot `slot`.
  void request(std::size_t slot);
  // Serves no more requests; a call already under way still delivers.
  void stop();
  // Waits for the thread to end; call stop() first.
  void join();

 private:
  void run();

  TicketSource tickets_;
  Delivery deliver_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::size_t> queue_;
  bool stopping_ = false;
};

}  // namespace ff
