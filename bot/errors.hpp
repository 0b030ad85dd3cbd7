#pragma once

#include <stdexcept>

namespace ff {

// Something the bot depends on could not be used for a while (its
// database). The dispatcher, which catches every failure a handler lets
// escape, tells the person to try again shortly instead of a generic
// apology; the detail goes to the log once.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ff
