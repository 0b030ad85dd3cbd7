#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "bot/inbox.hpp"
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
  // The envelope is in the inbox: from now on an empty ack may leave at the
  // deadline. Before, nothing may, or a crash would lose what was acked.
  virtual void recorded() {}
  // Keeps the deadline from sending the ack empty while the reply that
  // will travel in it is made durable; false when the ack left already.
  virtual bool hold() { return true; }
};

struct DispatcherCounters {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> replies_in_ack{0};
  std::atomic<std::uint64_t> replies_via_response_url{0};
  std::atomic<std::uint64_t> handler_failures{0};
  std::atomic<std::uint64_t> taken_up{0};       // unfinished ones from the inbox
  std::atomic<std::uint64_t> left_in_inbox{0};  // not started before a stop
};

// Takes parsed envelopes from any transport: records each in the inbox
// before it may be acked, drops redeliveries of what the inbox holds, runs
// the handler on the worker pool, delivers its reply in the ack when the ack
// is still unsent (else through response_url), and marks it finished.
class Dispatcher {
 public:
  Dispatcher(const EnvelopeRouter& router, SlackApi& slack, Inbox& inbox, WorkerPool& workers);

  // False when the dispatcher is stopping: the envelope is left unacked so
  // Slack delivers it again, to another connection or instance.
  bool dispatch(Envelope envelope, std::shared_ptr<Ack> ack);
  // Handles an envelope the inbox holds unfinished (this process or another
  // stopped or died before finishing it). Its ack is long gone: replies
  // travel through response_url.
  void resume(UnfinishedEnvelope unfinished);

  // Stops taking envelopes. Those queued still start until `start_no_later`
  // (real time); the rest stay in the inbox for the next start, or another
  // instance, so a stop is bounded however long the queue.
  void stop_accepting(std::chrono::steady_clock::time_point start_no_later);
  // Waits for the envelopes in flight (queued ones that are left count as
  // done), up to the deadline.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  std::size_t in_flight() const { return in_flight_.load(); }

  const DispatcherCounters& counters() const { return counters_; }

 private:
  void run_on_worker(Envelope envelope, std::shared_ptr<Ack> ack);
  Reply handle(const Envelope& envelope);
  // The payload of the ack when the reply can travel in it.
  static std::optional<nlohmann::json> in_ack(const Envelope& envelope, const Reply& reply);
  // The reply the long way, once the ack left without it.
  void deliver_late(const Envelope& envelope, const Reply& reply);
  // What a person is told when the handler failed.
  Reply failed(const Envelope& envelope, Message sorry);
  void finished();

  const EnvelopeRouter& router_;
  SlackApi& slack_;
  Inbox& inbox_;
  WorkerPool& workers_;
  std::atomic<bool> accepting_{true};
  // Real time, in steady-clock ticks: no queued envelope starts after it.
  std::atomic<std::chrono::steady_clock::rep> start_no_later_{
      std::chrono::steady_clock::time_point::max().time_since_epoch().count()};
  std::atomic<std::size_t> in_flight_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
  DispatcherCounters counters_;
};

// The short apology a user sees when a handler fails; the log has the detail.
Message apology();

}  // namespace ff
