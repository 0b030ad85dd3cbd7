#include "bot/slack/socket_mode_status.hpp"

#include <utility>

namespace ff {

ClientOutcome SocketModeStatus::wait_for_outcome(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return outcome_ != ClientOutcome::kRunning; });
  return outcome_;
}

bool SocketModeStatus::wait_until_live(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return stats_.live_connections >= count; });
}

void SocketModeStatus::wait_closed_then_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return open_sockets_ == 0; });
  if (outcome_ == ClientOutcome::kRunning) outcome_ = ClientOutcome::kStopped;
}

void SocketModeStatus::finish(ClientOutcome outcome, std::string message) {
  std::lock_guard lock(mutex_);
  if (outcome_ == ClientOutcome::kRunning) {
    outcome_ = outcome;
    message_ = std::move(message);
  }
  changed_.notify_all();
}

void SocketModeStatus::socket_opened() {
  std::lock_guard lock(mutex_);
  ++open_sockets_;
}

void SocketModeStatus::socket_closed(bool was_live) {
  std::lock_guard lock(mutex_);
  --open_sockets_;
  if (was_live && stats_.live_connections > 0) --stats_.live_connections;
  changed_.notify_all();
}

void SocketModeStatus::live_lost() {
  std::lock_guard lock(mutex_);
  if (stats_.live_connections > 0) --stats_.live_connections;
}

ClientOutcome SocketModeStatus::outcome() const {
  std::lock_guard lock(mutex_);
  return outcome_;
}

std::string SocketModeStatus::message() const {
  std::lock_guard lock(mutex_);
  return message_;
}

SocketModeStats SocketModeStatus::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace ff
