#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "bot/flows.hpp"
#include "bot/prompts.hpp"

using namespace ff;

namespace {

const std::string kShipped = std::string(FF_SOURCE_DIR) + "/prompts/flows.toml";

// A flow's first four lines; its steps start on line 5.
std::string flow_head(const std::string& id = "f") {
  return "[[flow]]\nid = \"" + id + "\"\ntitle = \"T\"\nsummary = \"S\"\n";
}

// A text step in four lines.
std::string text_step(const std::string& id, const std::string& extra = {}) {
  return "[[flow.step]]\nid = \"" + id + "\"\nkind = \"text\"\ntext = \"Q\"\n" + extra;
}

std::string error_of(const std::string& text) {
  try {
    FlowLibrary::parse(text, "team.toml");
  } catch (const PromptFileError& e) {
    return e.what();
  }
  return {};
}

// Checks that the refusal of `text` names line `line` and says `phrase`.
void check_refused(const std::string& text, int line, const std::string& phrase) {
  const std::string message = error_of(text);
  INFO(message);
  CHECK(message.rfind("team.toml:" + std::to_string(line) + ":", 0) == 0);
  CHECK(message.find(phrase) != std::string::npos);
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/ff_flows_test_" + name + ".toml";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("the shipped flows load: five of them and four listed", "[flows]") {
  const auto library = FlowLibrary::load({kShipped});
  REQUIRE(library.all().size() == 5);
  for (const char* id : {"gap", "options", "follow", "leaders", "nudge"})
    CHECK(library.by_id(id) != nullptr);
  const auto listed = library.listed();
  REQUIRE(listed.size() == 4);
  CHECK(listed[0]->id == "gap");
  CHECK_FALSE(library.by_id("nudge")->listed);
  CHECK(library.by_id("nudge")->steps.at(0).text == "{question}");
  for (const Flow* flow : listed) {
    INFO(flow->id);
    // Every shipped flow ends in an action; gap's "no" branch has its own.
    CHECK(std::count_if(flow->steps.begin(), flow->steps.end(),
                        [](const FlowStep& s) { return s.action; }) == (flow->id == "gap" ? 2 : 1));
  }
  const Flow& options = *library.by_id("options");
  const FlowStep& list = options.steps.at(options.index_of("options"));
  CHECK(list.kind == StepKind::kList);
  CHECK(list.min_items == 2);
  CHECK(list.max_items == 6);
  CHECK(list.hint.find("done") != std::string::npos);
  CHECK(options.steps.at(options.index_of("weigh")).text.find("{item}") != std::string::npos);
  CHECK(library.by_id("follow")->steps.at(1).offer == "initiatives");
}

TEST_CASE("every path through a shipped flow reaches the end", "[flows]") {
  const auto library = FlowLibrary::load({kShipped});
  for (const Flow& flow : library.all()) {
    INFO(flow.id);
    int paths = 0;
    // Walks every choice; a path longer than the flow would be a loop.
    std::function<void(int, std::size_t)> walk = [&](int index, std::size_t depth) {
      REQUIRE(depth <= flow.steps.size());
      if (index < 0) {
        ++paths;
        return;
      }
      const FlowStep& step = flow.steps.at(index);
      if (step.kind == StepKind::kChoice) {
        for (const auto& choice : step.choices)
          walk(flow.next_after(index, choice.value), depth + 1);
      } else {
        walk(flow.next_after(index), depth + 1);
      }
    };
    walk(0, 0);
    CHECK(paths >= 1);
  }
}

TEST_CASE("the shipped question and flow files load together as questions", "[flows]") {
  const auto prompts =
      PromptLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml", kShipped});
  CHECK(prompts.all().size() >= 40);
  CHECK(prompts.flows().all().size() == 5);
  const auto flows =
      FlowLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml", kShipped});
  CHECK(flows.all().size() == 5);
}

TEST_CASE("next_after follows choices and ends after the last step", "[flows]") {
  const auto library =
      FlowLibrary::parse(flow_head() +
                             "[[flow.step]]\n"
                             "id = \"pick\"\n"
                             "kind = \"choice\"\n"
                             "text = \"Q\"\n"
                             "next = \"last\"\n"
                             "choices = [ { label = \"A\", value = \"a\", next = "
                             "\"middle\" }, { label = \"B\", value = \"b\" },"
                             " { label = \"C\", value = \"c\", next = \"end\" } ]\n" +
                             text_step("middle") + text_step("last"),
                         "t");
  const Flow& flow = *library.by_id("f");
  CHECK(flow.index_of("middle") == 1);
  CHECK(flow.index_of("nope") == -1);
  CHECK(flow.next_after(0, "a") == 1);
  CHECK(flow.next_after(0, "b") == 2);
  CHECK(flow.next_after(0, "c") == -1);
  CHECK(flow.next_after(0, "unknown") == 2);
  CHECK(flow.next_after(0) == 2);
  CHECK(flow.next_after(1) == 2);
  CHECK(flow.next_after(2) == -1);
  CHECK(flow.next_after(3) == -1);
}

TEST_CASE("a later flow file replaces a flow by id", "[flows]") {
  const std::string first =
      temp_file("first", flow_head("a") + text_step("one") + flow_head("b") + text_step("two"));
  const std::string second =
      temp_file("second", flow_head("a") + "listed = false\n" + text_step("x") + text_step("y"));
  const auto library = FlowLibrary::load({first, second});
  std::remove(first.c_str());
  std::remove(second.c_str());
  REQUIRE(library.all().size() == 2);
  CHECK(library.all()[0].id == "a");
  CHECK(library.all()[0].steps.size() == 2);
  CHECK(library.all()[0].steps[0].id == "x");
  CHECK_FALSE(library.all()[0].listed);
  REQUIRE(library.listed().size() == 1);
  CHECK(library.listed()[0]->id == "b");
}

TEST_CASE("a file with only questions holds no flows", "[flows]") {
  CHECK(FlowLibrary::parse("[categories]\ngap = \"x\"\n\n[[prompt]]\nid = \"g\"\n", "t")
            .all()
            .empty());
  CHECK(FlowLibrary::load({std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml"}).all().empty());
  CHECK(FlowLibrary::load({}).all().empty());
}

TEST_CASE("a flow file that cannot be read is named", "[flows]") {
  try {
    FlowLibrary::load({"/nonexistent/flows.toml"});
    FAIL("loaded");
  } catch (const PromptFileError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/flows.toml: cannot be read");
  }
}

TEST_CASE("a flow file with broken syntax names the line", "[flows]") {
  check_refused(flow_head() + "= broken\n", 5, "");
}

TEST_CASE("a root flow key that is not an array of tables is refused", "[flows]") {
  check_refused("flow = \"gap\"\n", 1, "array of tables");
}

TEST_CASE("an unknown step kind is refused", "[flows]") {
  check_refused(flow_head() + "[[flow.step]]\nid = \"s\"\nkind = \"essay\"\ntext = \"Q\"\n", 7,
                "unknown kind 'essay'");
}

TEST_CASE("a step without text is refused", "[flows]") {
  check_refused(flow_head() + "[[flow.step]]\nid = \"s\"\nkind = \"text\"\n", 5, "missing 'text'");
  check_refused(flow_head() + "[[flow.step]]\nid = \"s\"\nkind = \"text\"\ntext = \" \"\n", 8,
                "'text' is empty");
}

TEST_CASE("a flow without title or summary is refused", "[flows]") {
  check_refused("[[flow]]\nid = \"f\"\ntitle = \"\"\nsummary = \"S\"\n" + text_step("s"), 3,
                "'title' is empty");
  check_refused("[[flow]]\nid = \"f\"\ntitle = \"T\"\n" + text_step("s"), 1, "missing 'summary'");
  check_refused(
      "[[flow]]\nid = \"f\"\ntitle = \"T\"\nsummary = \"\"\"\none\ntwo\"\"\"\n" + text_step("s"), 4,
      "one line");
}

TEST_CASE("a flow without steps is refused", "[flows]") {
  check_refused(flow_head(), 1, "has no steps");
}

TEST_CASE("a flow id used twice in one file is refused", "[flows]") {
  check_refused(flow_head("a") + text_step("s") + flow_head("a") + text_step("s"), 10,
                "flow id 'a' is used twice");
}

TEST_CASE("a step id used twice in a flow is refused", "[flows]") {
  check_refused(flow_head() + text_step("s") + text_step("s"), 10,
                "step id 's' is used twice in flow 'f'");
  check_refused(flow_head() + text_step("end"), 6, "kept for the end");
}

TEST_CASE("a next to a step that does not exist is refused", "[flows]") {
  check_refused(flow_head() + text_step("s", "next = \"nowhere\"\n"), 9,
                "goes on to 'nowhere', which flow 'f' does not have");
}

TEST_CASE("a choice next to a step that does not exist is refused", "[flows]") {
  check_refused(flow_head() +
                    "[[flow.step]]\nid = \"c\"\nkind = \"choice\"\ntext = \"Q\"\nchoices = [\n"
                    "  { label = \"A\", value = \"a\" },\n"
                    "  { label = \"B\", value = \"b\", next = \"gone\" },\n"
                    "]\n",
                11, "goes on to 'gone'");
}

TEST_CASE("an each step of a step that does not exist is refused", "[flows]") {
  check_refused(flow_head() +
                    "[[flow.step]]\nid = \"e\"\nkind = \"each\"\ntext = \"{item}\"\n"
                    "of = \"missing\"\n",
                9, "asks about 'missing', which flow 'f' does not have");
}

TEST_CASE("an each step of a step that is not a list is refused", "[flows]") {
  check_refused(flow_head() + text_step("t") +
                    "[[flow.step]]\nid = \"e\"\nkind = \"each\"\ntext = \"{item}\"\nof = \"t\"\n",
                13, "not a list step");
}

TEST_CASE("an each step of a later list is refused", "[flows]") {
  check_refused(flow_head() +
                    "[[flow.step]]\nid = \"e\"\nkind = \"each\"\ntext = \"{item}\"\nof = \"l\"\n"
                    "[[flow.step]]\nid = \"l\"\nkind = \"list\"\ntext = \"Q\"\n",
                9, "comes after it");
}

TEST_CASE("a step no path reaches is refused", "[flows]") {
  check_refused(flow_head() + text_step("a", "next = \"end\"\n") + text_step("b"), 10,
                "step 'b' of flow 'f' can never be reached");
}

TEST_CASE("a loop with no way out is refused", "[flows]") {
  check_refused(flow_head() + text_step("a") + text_step("b", "next = \"c\"\n") +
                    text_step("c", "next = \"b\"\n"),
                9, "flow 'f' loops at step 'b' with no way out");
  // A loop that one choice leaves is fine.
  CHECK(error_of(flow_head() + text_step("a") +
                 "[[flow.step]]\nid = \"again\"\nkind = \"choice\"\ntext = \"Q\"\n"
                 "next = \"a\"\n"
                 "choices = [ { label = \"Again\", value = \"again\" },"
                 " { label = \"Stop\", value = \"stop\", next = \"end\" } ]\n") == "");
}

TEST_CASE("unknown keys in a flow or step or choice are refused", "[flows]") {
  check_refused(
      "[[flow]]\nid = \"f\"\ntitle = \"T\"\nsummary = \"S\"\ncolour = \"red\"\n" + text_step("s"),
      5, "unknown key 'colour'");
  check_refused(flow_head() + text_step("s", "timeout = 3\n"), 9, "unknown key 'timeout'");
  check_refused(flow_head() +
                    "[[flow.step]]\nid = \"c\"\nkind = \"choice\"\ntext = \"Q\"\nchoices = [\n"
                    "  { label = \"A\", value = \"a\" },\n"
                    "  { label = \"B\", value = \"b\", colour = \"red\" },\n"
                    "]\n",
                11, "unknown key 'colour'");
}

TEST_CASE("keys of another kind of step are refused", "[flows]") {
  check_refused(flow_head() + text_step("s", "choices = [ { label = \"A\", value = \"a\" } ]\n"), 9,
                "'choices' is only for choice steps; step 's' is a text step");
  check_refused(flow_head() +
                    "[[flow.step]]\nid = \"l\"\nkind = \"list\"\ntext = \"Q\"\n"
                    "of = \"l\"\n",
                9, "'of' is only for each steps");
  check_refused(flow_head() + text_step("s", "min = 2\n"), 9, "'min' is only for list steps");
}

TEST_CASE("bad choices are refused", "[flows]") {
  const std::string head =
      flow_head() + "[[flow.step]]\nid = \"c\"\nkind = \"choice\"\ntext = \"Q\"\n";
  check_refused(head, 5, "needs 'choices'");
  check_refused(head + "choices = [ { label = \"A\", value = \"a\" } ]\n", 9, "two to five");
  check_refused(head +
                    "choices = [ { label = \"A\", value = \"a\" }, { label = \"B\", value = "
                    "\"a\" } ]\n",
                9, "choice value 'a' is used twice");
  check_refused(head +
                    "choices = [ { label = \"A\", value = \"A\" }, { label = \"B\", value = "
                    "\"b\" } ]\n",
                9, "choice value 'A' must be lower-case");
  check_refused(head + "choices = [ { value = \"a\" }, { label = \"B\", value = \"b\" } ]\n", 9,
                "missing 'label'");
  check_refused(head + "choices = [ { label = \"" + std::string(31, 'x') +
                    "\", value = \"a\" }, { label = \"B\", value = \"b\" } ]\n",
                9, "longer than 30 characters");
}

TEST_CASE("list sizes out of range are refused", "[flows]") {
  const std::string head =
      flow_head() + "[[flow.step]]\nid = \"l\"\nkind = \"list\"\ntext = \"Q\"\n";
  check_refused(head + "min = 0\n", 9, "'min' must be from 1 to 10");
  check_refused(head + "max = 11\n", 9, "'max' must be from 1 to 10");
  check_refused(head + "min = 4\nmax = 3\n", 10, "below 'min'");
}

TEST_CASE("an unknown offer is refused", "[flows]") {
  check_refused(flow_head() + text_step("s", "offer = \"coffee\"\n"), 9, "unknown offer 'coffee'");
}
