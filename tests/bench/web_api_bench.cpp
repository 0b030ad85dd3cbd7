// What a connection of its own costs a non-idempotent Web API call: the same
// message sent with chat.update (safe to repeat, so it reuses a kept-alive
// connection) and with chat.postMessage (never reused, so never resent by
// libcurl), against the fake Slack over loopback. Prints latency
// percentiles per call and the Web API connections the fake accepted.
//
//   web_api_bench [--count N]
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "bot/slack/web_api.hpp"
#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;
using Steady = std::chrono::steady_clock;

namespace {

std::vector<double> time_calls(std::size_t count, const std::function<bool()>& call) {
  std::vector<double> micros;
  micros.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto start = Steady::now();
    if (!call()) {
      std::fprintf(stderr, "call %zu failed\n", i);
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
  }
  return micros;
}

void print(const char* what, const std::vector<double>& micros, std::size_t connections) {
  std::printf("%-34s %6zu calls  p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  connections %zu\n", what,
              micros.size(), percentile(micros, 0.5), percentile(micros, 0.9),
              percentile(micros, 0.99), connections);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 2000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--count") == 0) count = std::stoul(argv[++i]);
  }
  FakeSlack slack;
  WebApiOptions options;
  options.sleep = [](std::chrono::milliseconds) {};  // rate limits are not measured here
  WebApiClient client{slack.api_url(), slack.options().bot_token, SystemClock::instance(), options};
  WebSlackApi api{client};
  const Message message = Message::plain("Faster code reviews: two reviewers per change");

  // Warm up: the first connection, and the allocator.
  for (int i = 0; i < 50; ++i) api.update_message("C0GENERAL", "1700000000.100001", message);

  std::size_t before = slack.api_connections_accepted();
  auto reused = time_calls(
      count, [&] { return api.update_message("C0GENERAL", "1700000000.100001", message).ok; });
  print("chat.update (reused connection)", reused, slack.api_connections_accepted() - before);

  before = slack.api_connections_accepted();
  auto fresh = time_calls(count, [&] { return api.post_message("C0GENERAL", message).ok; });
  print("chat.postMessage (own connection)", fresh, slack.api_connections_accepted() - before);

  std::printf("cost of a connection of its own, at the median: %.1f us per call\n",
              percentile(fresh, 0.5) - percentile(reused, 0.5));
  return 0;
}
