#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "bot/slack/dedupe.hpp"
#include "bot/slack/envelope.hpp"
#include "bot/slack/router.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/worker_pool.hpp"

namespace ff {

// The acknowledgement of one envelope. It can be sent once: whichever comes
// first, the handler's reply or the transport's deadline, sends it, and the
// later one learns that it lost.
class Ack {
 public:
  virtual ~Ack() = default;
  // Sends {"envelope_id":…} with the payload if given. False when the ack had
  // already been sent (or the connection is gone).
  virtual bool send(std::optional<nlohmann::json> payload) = 0;
};

struct DispatcherCounters {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> replies_in_ack{0};
  std::atomic<std::uint64_t> replies_via_response_url{0};
  std::atomic<std::uint64_t> handler_failures{0};
};

// Takes parsed envelopes from any transport: drops redeliveries, runs the
// handler on the worker pool, and delivers its reply in the ack when the ack
// is still unsent, else through response_url.
class Dispatcher {
 public:
  Dispatcher(const EnvelopeRouter& router, SlackApi& slack, DedupeStore& dedupe,
             WorkerPool& workers);

  // False when the dispatcher is stopping: the envelope is left unacked so
  // Slack delivers it again, to another connection or instance.
  bool dispatch(Envelope envelope, std::shared_ptr<Ack> ack);

  // Stop taking envelopes, then wait for those in flight, up to the deadline.
  void stop_accepting() { accepting_ = false; }
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  std::size_t in_flight() const { return in_flight_.load(); }

  const DispatcherCounters& counters() const { return counters_; }

 private:
  bool first_delivery(const Envelope& envelope);
  void handle(const Envelope& envelope, Ack& ack);
  void deliver(const Envelope& envelope, Ack& ack, Reply reply);
  // What a person is told when the handler failed.
  Reply failed(const Envelope& envelope, Message sorry);
  void finished();

  const EnvelopeRouter& router_;
  SlackApi& slack_;
  DedupeStore& dedupe_;
  WorkerPool& workers_;
  std::atomic<bool> accepting_{true};
  std::atomic<std::size_t> in_flight_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
  DispatcherCounters counters_;
};

// The short apology a user sees when a handler fails; the log has the detail.
Message apology();

}  // namespace ff
