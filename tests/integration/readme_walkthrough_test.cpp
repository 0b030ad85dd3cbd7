// README.md's console walkthrough is a real session: its input is replayed
// through the real binary, and the README must show exactly what the console
// printed for it.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/support.hpp"

using namespace ff::testing;

namespace {

constexpr const char* kBegin = "<!-- console-walkthrough:begin -->";
constexpr const char* kEnd = "<!-- console-walkthrough:end -->";

// How the README says the session was started. A fresh database in memory,
// so earlier sessions do not change which questions come next or the
// initiative's number; a fixed seed, so the same questions are drawn. Nothing
// else in the session varies: it prints no times (no `wait`, no durations),
// and each line is handled to the end before the next is read.
const std::vector<std::string> kArguments = {"--db", ":memory:", "--set", "bot.random_seed=1"};

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string without_trailing_newlines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The fenced blocks between the markers, without their fences; the prose
// between them is the README's own.
std::vector<std::string> walkthrough_blocks(const std::string& readme) {
  const auto begin = readme.find(kBegin);
  const auto end = readme.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
  std::istringstream section(readme.substr(begin, end - begin));
  std::vector<std::string> blocks;
  bool inside = false;
  std::string block;
  for (std::string line; std::getline(section, line);) {
    if (line.rfind("```", 0) == 0) {
      if (inside) blocks.push_back(without_trailing_newlines(block));
      inside = !inside;
      block.clear();
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

// What the person typed: the lines that start with "> ". The bot's own
// quotes are inside its messages ("│ > …"), never at the start of a line.
std::vector<std::string> typed_lines(const std::string& block) {
  std::istringstream in(block);
  std::vector<std::string> typed;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("> ", 0) == 0 && line.size() > 2) typed.push_back(line.substr(2));
  }
  return typed;
}

std::string first_difference(const std::string& shown, const std::string& printed) {
  std::istringstream a(shown);
  std::istringstream b(printed);
  std::string left;
  std::string right;
  for (int number = 1;; ++number) {
    const bool more_left = static_cast<bool>(std::getline(a, left));
    const bool more_right = static_cast<bool>(std::getline(b, right));
    if (!more_left && !more_right) return "none";
    if (!more_left || !more_right || left != right) {
      return "line " + std::to_string(number) + ": the README shows \"" +
             (more_left ? left : "(nothing)") + "\", the console printed \"" +
             (more_right ? right : "(nothing)") + "\"";
    }
  }
}

}  // namespace

TEST_CASE("README: the console walkthrough is what the console prints for its input") {
  const auto blocks = walkthrough_blocks(file_text(std::string(FF_SOURCE_DIR) + "/README.md"));
  if (blocks.empty())
    FAIL("README.md has no console walkthrough between " << kBegin << " and " << kEnd);

  std::vector<std::vector<std::string>> typed;
  std::string input;
  for (const auto& block : blocks) {
    typed.push_back(typed_lines(block));
    if (typed.back().empty()) FAIL("a block of the walkthrough shows no typed line (\"> …\")");
    for (const auto& line : typed.back()) input += line + "\n";
  }

  ChildProcess console(kArguments, {}, input);
  const int exit_code = console.wait(60s);
  const std::string printed = console.out();
  if (exit_code != 0) {
    FAIL("the console exited with " << exit_code << "; it printed:\n"
                                    << printed << "\nits log:\n"
                                    << console.err());
  }

  // Piped input is echoed as "> line", so the output reads as the terminal
  // does when a person types. Each block is cut from the output at the echo
  // of its first typed line; the first block also holds the banner.
  std::vector<std::size_t> starts;
  std::size_t from = 0;
  for (const auto& lines : typed) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto echo = printed.find("\n> " + lines[i] + "\n", from);
      if (echo == std::string::npos) {
        FAIL("the console did not echo \"" << lines[i] << "\"; it printed:\n" << printed);
      }
      from = echo + 1;
      if (i == 0) starts.push_back(starts.empty() ? 0 : from);
    }
  }
  starts.push_back(printed.size());

  std::size_t matching = 0;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const std::string expected =
        without_trailing_newlines(printed.substr(starts[k], starts[k + 1] - starts[k]));
    if (blocks[k] == expected) {
      ++matching;
    } else {
      // Catch wraps its messages, so the block to paste goes out as it is.
      std::cerr << "\nREADME.md, console walkthrough, block " << k + 1
                << ": if the console is right, this is the block:\n```\n"
                << expected << "\n```\n";
      FAIL_CHECK("README.md's console walkthrough, block "
                 << k + 1 << " of " << blocks.size() << ", is not what the console printed ("
                 << first_difference(blocks[k], expected) << "); the block is printed above");
    }
  }
  CHECK(matching == blocks.size());
}
