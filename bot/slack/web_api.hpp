#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bot/clock.hpp"
#include "bot/slack/rate_limiter.hpp"
#include "bot/slack/slack_api.hpp"

namespace ff {

struct WebApiOptions {
  std::chrono::milliseconds timeout{10000};
  int max_attempts = 3;  // for 429s and retry-safe failures
  std::chrono::milliseconds max_retry_after{60000};
  // Sleeps for the rate limiter and Retry-After; tests replace it.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Slack's Web API over libcurl: bearer token, JSON bodies, Slack's ok:false
// errors as typed results, HTTP 429 honoured by waiting Retry-After and trying
// again, per-tier rate limits. Connections are reused only for calls that are
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
  ApiResult call_form(std::string_view method, const std::map<std::string, std::string>& params);
  // POST a JSON body to a response_url; carries no token.
  ApiResult post_to_response_url(std::string_view url, const nlohmann::json& body);

  const std::string& base_url() const { return base_url_; }

 private:
  struct Request;
  ApiResult perform(const Request& request);
  // Sleeps as the options say, marked as a wait for the worker pool.
  void wait_for(std::chrono::milliseconds how_long);

  class HandlePool;
  std::string base_url_;
  std::string authorization_;
  WebApiOptions options_;
  RateLimiter limiter_;
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

 private:
  WebApiClient& client_;
};

// Call once from main before any thread starts (libcurl's rule).
void init_http_library();

}  // namespace ff
