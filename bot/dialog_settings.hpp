#pragma once

#include <chrono>

namespace ff {

// How private coaching dialogs behave ([reflect] in the configuration).
struct DialogSettings {
  // A dialog nobody answered for this long is paused, with one gentle note
  // and a button to resume it.
  std::chrono::minutes expire_after{24 * 60};
};

}  // namespace ff
