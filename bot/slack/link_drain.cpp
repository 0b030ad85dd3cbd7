#include "bot/slack/link_drain.hpp"

namespace ff {

bool LinkDrain::begin(TimePoint deadline) {
  if (draining_) return false;
  draining_ = true;
  deadline_ = deadline;
  return true;
}

void LinkDrain::abandon() {
  if (draining_) return;
  draining_ = true;
  deadline_ = TimePoint::min();
}

bool LinkDrain::claim_close(TimePoint now) {
  if (!draining_ || close_claimed_) return false;
  if (unacked_ > 0 && now < deadline_) return false;
  close_claimed_ = true;
  return true;
}

}  // namespace ff
