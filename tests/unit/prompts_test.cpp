#include <catch2/catch.hpp>

#include <set>

#include "bot/prompts.hpp"

using namespace ff;

namespace {
const char* kGood = R"(
[categories]
gap = "Where are we?"
follow = "Follow?"

[[prompt]]
id = "g1"
category = "gap"
practice = "see the gap"
text = "Where are we?"

[[prompt]]
id = "g2"
category = "gap"
practice = "see the gap"
text = "Where should we be?"

[[prompt]]
id = "f1"
category = "follow"
practice = "follow"
text = "Whose lead?"
follow_ups = ["Why them?"]
)";

std::string error_of(const std::string& text) {
  try {
    PromptLibrary::parse(text, "team.toml");
  } catch (const PromptFileError& e) {
    return e.what();
  }
  return {};
}
}  // namespace

TEST_CASE("the shipped prompt library loads and covers every category") {
  const auto library = PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml"});
  CHECK(library.all().size() >= 40);
  for (const auto& c : library.categories()) CHECK(library.in_category(c.name).size() >= 3);
  REQUIRE(library.category("customers") != nullptr);
}

TEST_CASE("a bad prompt file names file and line") {
  CHECK(error_of("[[prompt]]\nid = \"x\"\n= broken").rfind("team.toml:3:", 0) == 0);
  const std::string unknown =
      std::string(kGood) +
      "\n[[prompt]]\nid = \"z\"\ncategory = \"nope\"\npractice = \"p\"\ntext = \"t\"\n";
  const std::string message = error_of(unknown);
  CHECK(message.rfind("team.toml:", 0) == 0);
  INFO(message);
  CHECK(message.find("team.toml:25:") == 0);
  CHECK(message.find("unknown category 'nope'") != std::string::npos);
  CHECK(error_of(std::string(kGood) +
                 "\n[[prompt]]\nid = \"g1\"\ncategory = \"gap\"\npractice = \"p\"\ntext = \"t\"\n")
            .find("used twice") != std::string::npos);
  CHECK(error_of("[categories]\ngap = \"x\"\n").find("no prompts") != std::string::npos);
  CHECK(error_of(std::string(kGood) +
                 "\n[[prompt]]\nid = \"q\"\ncategory = \"gap\"\npractice = \"p\"\ntext = \"  \"\n")
            .find("'text' is empty") != std::string::npos);
}

TEST_CASE("the picker never repeats a channel's previous question") {
  const auto library = PromptLibrary::parse(kGood, "t");
  ManualClock clock;
  auto history = store::SqlStore::open(":memory:", {}, clock);
  PromptPicker picker(library, 7, *history, clock);
  std::string previous;
  for (int i = 0; i < 200; ++i) {
    const auto p = picker.draw("C1", "gap");
    REQUIRE(p);
    CHECK(p->id != previous);
    previous = p->id;
  }
  CHECK(picker.draw("C1", "follow")->id == "f1");  // one prompt: repeats are unavoidable
  CHECK(picker.draw("C1", "follow")->id == "f1");
  CHECK_FALSE(picker.draw("C1", "missing"));
}

TEST_CASE("the picker remembers a channel's last question in the store, not in itself") {
  const auto library = PromptLibrary::parse(kGood, "t");
  ManualClock clock;
  auto history = store::SqlStore::open(":memory:", {}, clock);
  for (int round = 0; round < 50; ++round) {
    // A new picker each time, as after a restart: only the store remembers.
    PromptPicker first(library, static_cast<std::uint64_t>(round), *history, clock);
    const auto drawn = first.draw("C1", "gap");
    clock.advance(std::chrono::seconds{1});
    PromptPicker second(library, static_cast<std::uint64_t>(round + 1000), *history, clock);
    const auto next = second.draw("C1", "gap");
    clock.advance(std::chrono::seconds{1});
    REQUIRE(drawn);
    REQUIRE(next);
    CHECK(next->id != drawn->id);
  }
}

TEST_CASE("a channel sees three quarters of a category before any question comes back") {
  const auto library = PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml"});
  ManualClock clock;
  auto history = store::SqlStore::open(":memory:", {}, clock);
  PromptPicker picker(library, 11, *history, clock);
  const std::size_t pool = library.in_category("options").size();
  const std::size_t window = pool - std::max<std::size_t>(1, pool / 4);
  std::vector<std::string> drawn;
  for (int i = 0; i < 300; ++i) {
    drawn.push_back(picker.draw("C1", "options", "U1")->id);
    clock.advance(std::chrono::seconds{1});
  }
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    for (std::size_t j = i + 1; j < drawn.size() && j <= i + window; ++j) {
      INFO("draws " << i << " and " << j);
      REQUIRE(drawn[i] != drawn[j]);
    }
  }
  CHECK(std::set<std::string>(drawn.begin(), drawn.end()).size() == pool);  // all come round
}
