// The sentences that tell a person why Slack did not do what they asked.
#include <catch2/catch.hpp>

#include "commands/people.hpp"
#include "commands/wording.hpp"

using namespace ff;
using ff::commands::why_slack_failed;

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("a failed Slack call is explained by what actually went wrong") {
  CHECK(has(why_slack_failed(ApiResult::refused("not_in_channel")), "/invite @firstfollower"));
  CHECK(has(why_slack_failed(ApiResult::refused("channel_not_found")), "not in this channel"));
  CHECK(has(why_slack_failed(ApiResult::failure("ratelimited", true)), "slow down"));
  CHECK(
      has(why_slack_failed(ApiResult::failure("transport_error: Couldn't connect to server", true)),
          "can't reach Slack"));
  CHECK(has(why_slack_failed(ApiResult::failure("http_503", true)), "can't reach Slack"));
  // After a timeout once sent, or internal_error, Slack may have acted.
  const std::string maybe =
      why_slack_failed(ApiResult::failure("transport_error: Timeout was reached", false));
  CHECK(has(maybe, "may have happened"));
  CHECK_FALSE(has(maybe, "Try again"));
  CHECK(has(why_slack_failed(ApiResult::refused("internal_error")), "may have happened"));
  CHECK(has(why_slack_failed(ApiResult::refused("invalid_blocks")), "Slack refused it"));
  // Slack's error code is shown escaped: it never becomes markup.
  CHECK(has(why_slack_failed(ApiResult::refused("<!channel>")), "&lt;!channel&gt;"));
}

TEST_CASE("counts and shares read the same everywhere") {
  using ff::commands::counted;
  using ff::commands::percent;
  CHECK(counted(1, "initiative") == "1 initiative");
  CHECK(counted(0, "initiative") == "0 initiatives");
  CHECK(counted(3, "record") == "3 records");
  CHECK(counted(2, "person", "people") == "2 people");
  CHECK(percent(2, 3) == "67%");
  CHECK(percent(1, 3) == "33%");
  CHECK(percent(1, 8) == "13%");  // 12.5 rounds up
  CHECK(percent(3, 3) == "100%");
  CHECK(percent(0, 0) == "0%");
}
