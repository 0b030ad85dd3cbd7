#include "bot/slack/ticket_opener.hpp"

#include <utility>

namespace ff {

TicketOpener::TicketOpener(TicketSource tickets, Delivery deliver)
    : tickets_(std::move(tickets)), deliver_(std::move(deliver)) {}

TicketOpener::~TicketOpener() {
  stop();
  join();
}

void TicketOpener::start() {
  thread_ = std::thread([this] { run(); });
}

void TicketOpener::request(std::size_t slot) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(slot);
  }
  wake_.notify_one();
}

void TicketOpener::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void TicketOpener::join() {
  if (thread_.joinable()) thread_.join();
}

void TicketOpener::run() {
  for (;;) {
    std::size_t slot = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      slot = queue_.front();
      queue_.pop_front();
    }
    deliver_(slot, tickets_());
  }
}

}  // namespace ff
