#pragma once

#include <cstdint>
#include <string>

// How counts and shares read in the bot's messages, in one place so every
// feature says "1 initiative" and "67%" the same way.
namespace ff::commands {

// "1 initiative", "3 initiatives"; `plural` for nouns that do not take an s.
std::string counted(std::int64_t n, const std::string& singular, const std::string& plural = {});

// The share to the nearest whole percent: 2 of 3 is "67%", and nothing of
// nothing is "0%".
std::string percent(std::int64_t part, std::int64_t whole);

}  // namespace ff::commands
