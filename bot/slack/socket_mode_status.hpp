#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "bot/slack/socket_mode_client.hpp"

namespace ff {

// What other threads may learn of the socket thread's work: the outcome, the
// counters, and how many sockets are still open. One lock and one condition
// for all of it, so a waiter wakes on any change it waits for.
class SocketModeStatus {
 public:
  // Until the client stops by itself, or the timeout passes.
  ClientOutcome wait_for_outcome(std::chrono::milliseconds timeout);
  bool wait_until_live(std::size_t count, std::chrono::milliseconds timeout);
  // Waits up to `timeout` for every socket to close, then records a plain
  // stop unless the client had already stopped for a reason of its own.
  void wait_closed_then_stop(std::chrono::milliseconds timeout);

  // The first outcome stands; later ones are ignored.
  void finish(ClientOutcome outcome, std::string message);
  template <typename F>
  void count(F&& update) {
    std::lock_guard lock(mutex_);
    update(stats_);
    changed_.notify_all();
  }
  void socket_opened();
  void socket_closed(bool was_live);
  // A live connection written off before its socket has closed; its close
  // then no longer counts it.
  void live_lost();

  ClientOutcome outcome() const;
  std::string message() const;
  SocketModeStats stats() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  ClientOutcome outcome_ = ClientOutcome::kRunning;
  std::string message_;
  SocketModeStats stats_;
  std::size_t open_sockets_ = 0;
};

}  // namespace ff
