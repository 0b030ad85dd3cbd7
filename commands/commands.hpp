#pragma once

#include "bot/router.hpp"
#include "bot/services.hpp"

namespace ff::commands {

// Registers every feature's listeners: the product's table of contents.
void register_all(EnvelopeRouter& router, Services& services);

}  // namespace ff::commands
