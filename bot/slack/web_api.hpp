#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bot/clock.hpp"
#include "bot/slack/rate_limiter.hpp"
#include "bot/slack/slack_api.hpp"

namespace ff {

struct WebApiOptions {
  std::chrono::milliseconds timeout{10000};
  // Tries of a retry-safe call that failed, and of a person's call that
  // Slack rate limited (they are told soon rather than kept waiting).
  int max_attempts = 3;
  // How long one call may wait in all on Slack's Retry-After before it is
  // reported rate limited. Bulk work's 429s cost no attempt, only this time.
  std::chrono::milliseconds max_retry_after{60000};
  RateSettings rates;
  // Sleeps for the rate limiter and Retry-After; tests replace it.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Slack's Web API over libcurl: bearer token, JSON bodies, Slack's ok:false
// errors as typed results. Every call takes its turn first in the outgoing
// queue: the rate limiter's buckets give it a moment to go, per method (and
// per channel, and for bulk work per workspace), and the calling thread waits
// for it there, marked waiting so the worker pool lends its place to others.
// A 429 pauses its method for Retry-After, for every caller of that method
// and no other, and the call goes again when the pause ends. Waiting in line
// rather than in a hop to a sender thread keeps a reply that need not wait
// on the thread that made it. Connections are reused only for calls that are
// safe to repeat; any other call (chat.postMessage, views.open, a
// response_url post) opens a connection of its own, so the HTTP layer never
// sends it twice. Thread-safe.
class WebApiClient {
 public:
  WebApiClient(std::string base_url, std::string token, const Clock& clock,
               WebApiOptions options = {});
  ~WebApiClient();
  WebApiClient(const WebApiClient&) = delete;
  WebApiClient& operator=(const WebApiClient&) = delete;

  // POST {base}{method} with a JSON body (write methods).
  ApiResult call(std::string_view method, const nlohmann::json& body);
  // POST {base}{method} form-encoded (read methods such as users.info).
  // With `give_up_after`, a call whose turn is further away than that is not
  // made, and answers the error "paced" (a courtesy call a fan-out can skip).
  ApiResult call_form(std::string_view method, const std::map<std::string, std::string>& params,
                      std::optional<std::chrono::milliseconds> give_up_after = std::nullopt);
  // POST a JSON body to a response_url; carries no token.
  ApiResult post_to_response_url(std::string_view url, const nlohmann::json& body);

  const std::string& base_url() const { return base_url_; }
  // Calls waiting for their turn now, in one lane: the outgoing queue's depth.
  std::size_t waiting(Lane lane) const;

 private:
  struct Request;
  ApiResult perform(const Request& request);
  // Waits for the request's turn, and then out any 429 pause of its method
  // that came meanwhile. False when it gave up (give_up_after).
  bool wait_turn(const Request& request);
  // Sleeps as the options say, marked as a wait for the worker pool.
  void wait_for(std::chrono::milliseconds how_long);

  class HandlePool;
  std::string base_url_;
  std::string authorization_;
  WebApiOptions options_;
  RateLimiter limiter_;
  std::atomic<std::size_t> waiting_[2] = {0, 0};  // by Lane
  std::unique_ptr<HandlePool> handles_;
};

// SlackApi on the Web API, for Slack mode.
class WebSlackApi final : public SlackApi {
 public:
  explicit WebSlackApi(WebApiClient& client) : client_(client) {}
  ApiResult post_message(std::string_view channel, const Message& message) override;
  ApiResult post_ephemeral(std::string_view channel, std::string_view user,
                           const Message& message) override;
  ApiResult respond(std::string_view response_url, const Message& message) override;
  ApiResult update_message(std::string_view channel, std::string_view ts,
                           const Message& message) override;
  ApiResult user_info(std::string_view user_id) override;
  ApiResult do_not_disturb(std::string_view user_id) override;
  ApiResult open_view(std::string_view trigger_id, const nlohmann::json& view) override;
  ApiResult publish_home(std::string_view user_id, const nlohmann::json& view) override;

 private:
  WebApiClient& client_;
};

// Call once from main before any thread starts (libcurl's rule).
void init_http_library();

}  // namespace ff
