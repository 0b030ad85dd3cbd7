#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ff {

// An envelope as the inbox keeps it: enough to know a redelivery when it
// comes (the envelope id, and the event id Slack repeats when it retries an
// event in a new envelope) and to handle it again after a crash (the frame
// as it arrived).
struct InboxEntry {
  std::string envelope_id;
  std::string event_id;  // empty when the envelope carries no event
  std::string frame;     // empty when the transport has no frame (console mode)
};

// An envelope that is in the inbox but was never finished: the instance
// that took it stopped or died. `attempts` counts how often one was taken.
struct UnfinishedEnvelope {
  std::string envelope_id;
  std::string frame;
  int attempts = 0;
};

enum class Admission {
  kNew,        // recorded now: handle it
  kAlreadyIn,  // a redelivery of an envelope (or event) already in the inbox
};

// Where every envelope is recorded before it is acked, so that "acked"
// means "will be done": a crash after the ack leaves the envelope in the
// inbox, and the next start (or another instance) handles it. A redelivery
// of something already in the inbox is not handled again.
class Inbox {
 public:
  virtual ~Inbox() = default;
  // Records the envelope, then calls `then` exactly once, from any thread,
  // with whether it was new. Until `then` runs the envelope must not be
  // acked.
  virtual void admit(InboxEntry entry, std::function<void(Admission)> then) = 0;
  // The envelope was handled: it is not taken up again. `then`, when
  // given, is called once that is durable (or failed to be), from any
  // thread; it must not block.
  virtual void finished(std::string envelope_id, std::function<void()> then) = 0;
};

}  // namespace ff
