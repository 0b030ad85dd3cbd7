#include "bot/slack/web_api.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bot/metrics.hpp"
#include "bot/worker_pool.hpp"

namespace ff {

void init_http_library() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Easy handles are kept between calls so their connections are reused.
class WebApiClient::HandlePool {
 public:
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void release(CURL* h) {
    curl_easy_reset(h);
    std::lock_guard lock(mutex_);
    if (idle_.size() < 8) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

 private:
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

struct WebApiClient::Request {
  std::string method;   // for rate limits and logs; empty for response_url posts
  std::string channel;  // for per-channel limits
  std::string url;
  std::string body;
  bool json = true;
  bool authorized = true;
  Lane lane = BulkWork::current();
  std::optional<std::chrono::milliseconds> give_up_after;
};

namespace {

// The result label of a failed call: Slack's error (a short snake_case
// name), or the kind of failure before its detail ("transport_error: …").
// Anything else is "other", so an odd answer cannot make new series.
std::string_view result_label(std::string_view error) {
  error = error.substr(0, error.find(':'));
  const bool plain =
      !error.empty() && error.size() <= 48 && std::all_of(error.begin(), error.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
  return plain ? error : "other";
}

struct Response {
  long status = 0;
  std::string body;
  std::chrono::milliseconds retry_after{0};
  CURLcode code = CURLE_OK;
};

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  // Slack's answers are small; a runaway body is cut rather than buffered.
  if (response->body.size() + size * count > 16 * 1024 * 1024) return 0;
  response->body.append(data, size * count);
  return size * count;
}

size_t collect_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size()) {
    std::string name(line.substr(0, kRetryAfter.size()));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == kRetryAfter) {
      const long seconds =
          std::strtol(std::string(line.substr(kRetryAfter.size())).c_str(), nullptr, 10);
      response->retry_after = std::chrono::seconds{std::max(0L, seconds)};
    }
  }
  return size * count;
}

// True when curl failed before any byte of the request left this machine, so
// a retry cannot duplicate a message.
bool failed_before_sending(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

std::string form_encode(CURL* curl, const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    char* k = curl_easy_escape(curl, key.c_str(), static_cast<int>(key.size()));
    char* v = curl_easy_escape(curl, value.c_str(), static_cast<int>(value.size()));
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
    curl_free(k);
    curl_free(v);
  }
  return out;
}

}  // namespace

WebApiClient::WebApiClient(std::string base_url, std::string token, const Clock& clock,
                           WebApiOptions options)
    : base_url_(std::move(base_url)),
      authorization_("Authorization: Bearer " + token),
      options_(std::move(options)),
      limiter_(clock, options_.rates),
      handles_(std::make_unique<HandlePool>()) {
  init_http_library();
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

WebApiClient::~WebApiClient() = default;

ApiResult WebApiClient::call(std::string_view method, const nlohmann::json& body) {
  Request r;
  r.method = method;
  if (body.is_object() && body.contains("channel") && body["channel"].is_string()) {
    r.channel = body["channel"].get<std::string>();
  }
  r.url = base_url_ + std::string(method);
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return perform(r);
}

ApiResult WebApiClient::call_form(std::string_view method,
                                  const std::map<std::string, std::string>& params,
                                  std::optional<std::chrono::milliseconds> give_up_after) {
  Request r;
  r.method = method;
  r.give_up_after = give_up_after;
  r.url = base_url_ + std::string(method);
  CURL* curl = handles_->acquire();
  r.body = form_encode(curl, params);
  handles_->release(curl);
  r.json = false;
  return perform(r);
}

ApiResult WebApiClient::post_to_response_url(std::string_view url, const nlohmann::json& body) {
  Request r;
  r.url = url;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.authorized = false;
  return perform(r);
}

void WebApiClient::wait_for(std::chrono::milliseconds how_long) {
  // Another thread takes the queue meanwhile: one channel's limit holds up
  // only the requests that post to it.
  const WorkerPool::Waiting waiting;
  options_.sleep(how_long);
}

std::size_t WebApiClient::waiting(Lane lane) const {
  return waiting_[lane == Lane::kBulk ? 1 : 0].load();
}

bool WebApiClient::wait_turn(const Request& request) {
  if (request.method.empty()) return true;  // response_url posts have no limits of ours
  const auto max_wait = request.give_up_after.value_or(std::chrono::milliseconds::max());
  const auto turn =
      limiter_.reserve_within(request.method, request.channel, request.lane, max_wait);
  if (!turn) return false;
  auto wait = *turn;
  if (wait.count() <= 0) return true;
  auto& depth = waiting_[request.lane == Lane::kBulk ? 1 : 0];
  ++depth;
  // A 429 while this call waited for its turn pauses its method: it waits
  // that out too. The pause's generation, not the clock, says whether one
  // came, so a test's manual clock cannot keep a caller waiting forever.
  auto generation = limiter_.paused(request.method).generation;
  for (int round = 0; round < 100 && wait.count() > 0; ++round) {
    wait_for(wait);
    const MethodPause pause = limiter_.paused(request.method);
    if (pause.generation == generation) break;
    generation = pause.generation;
    wait = pause.left;
  }
  --depth;
  return true;
}

ApiResult WebApiClient::perform(const Request& request) {
  const std::string what = request.method.empty() ? "response_url" : request.method;
  const bool retry_safe = request.method.empty() ? false : method_info(request.method).retry_safe;
  // Every answer is counted once, by method and result: ok, Slack's error,
  // or what went wrong on the way (its kind, not the detail).
  const auto counted = [&what](ApiResult result) {
    metrics::registry().api_calls.add({what, result.ok ? "ok" : result_label(result.error)});
    return result;
  };

  std::chrono::milliseconds rate_limited_for{0};
  for (int attempt = 1;; ++attempt) {
    if (!wait_turn(request)) return counted(ApiResult::failure("paced", true));

    Response response;
    CURL* curl = handles_->acquire();
    if (curl == nullptr) return counted(ApiResult::failure("transport_error: no curl handle"));
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, request.json
                                             ? "Content-Type: application/json; charset=utf-8"
                                             : "Content-Type: application/x-www-form-urlencoded");
    // Without this, libcurl waits up to a second for "100 Continue" on large bodies.
    headers = curl_slist_append(headers, "Expect:");
    if (request.authorized) headers = curl_slist_append(headers, authorization_.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long long>(options_.timeout.count(), 5000)));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "firstfollower/0.1");
    if (!retry_safe) {
      // libcurl silently sends a request again on a new connection when a
      // reused one dies before any answer, even after the server has read
      // it. A call that must not be repeated therefore never rides a reused
      // connection, and its own is closed afterwards rather than cached.
      curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    }
    // Tests point this at a certificate authority made for them.
    if (const char* ca = std::getenv("SSL_CERT_FILE"); ca != nullptr && *ca != '\0') {
      curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    }
    {
      // A slow or hung call must not hold up other people's requests.
      const WorkerPool::Waiting on_slack;
      response.code = curl_easy_perform(curl);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    handles_->release(curl);

    const bool attempts_left = attempt < options_.max_attempts;
    if (response.code != CURLE_OK) {
      spdlog::warn("{}: transport error: {}", what, curl_easy_strerror(response.code));
      if (attempts_left && (failed_before_sending(response.code) || retry_safe)) {
        wait_for(std::chrono::milliseconds{100 * attempt});
        continue;
      }
      return counted(
          ApiResult::failure(std::string("transport_error: ") + curl_easy_strerror(response.code),
                             failed_before_sending(response.code)));
    }
    if (response.status == 429) {
      // Slack did not act on a rate-limited call, so trying again is safe.
      // Bulk work is patient: a 429 costs it no attempt, only waiting, up to
      // max_retry_after in all, so a storm delays a fan-out by its length
      // and no more. A person waiting is told after max_attempts instead.
      const auto retry_after =
          std::min(std::max(response.retry_after, std::chrono::milliseconds{1000}),
                   options_.max_retry_after);
      const bool patient = request.lane == Lane::kBulk;
      metrics::registry().rate_limited.add({what});
      if (!request.method.empty()) limiter_.pause(request.method, retry_after);
      if ((!patient && !attempts_left) ||
          rate_limited_for + retry_after > options_.max_retry_after) {
        spdlog::warn("{}: still rate limited by Slack after {} ms of waiting; giving up", what,
                     rate_limited_for.count());
        return counted(ApiResult::failure("ratelimited", true));
      }
      spdlog::warn("{}: rate limited by Slack, waiting {} ms", what, retry_after.count());
      metrics::registry().retry_after_waited.add(
          {what}, std::chrono::duration<double>(retry_after).count());
      rate_limited_for += retry_after;
      // A method's pause is waited out in wait_turn, with its other callers.
      if (request.method.empty()) wait_for(retry_after);
      if (patient) --attempt;
      continue;
    }
    if (response.status >= 500) {
      spdlog::warn("{}: HTTP {}", what, response.status);
      if (attempts_left && retry_safe) {
        wait_for(std::chrono::milliseconds{200 * attempt});
        continue;
      }
      return counted(ApiResult::failure("http_" + std::to_string(response.status)));
    }
    if (response.status != 200)
      return counted(ApiResult::failure("http_" + std::to_string(response.status)));

    // response_url answers with a plain "ok" or an empty body.
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (request.method.empty()) {
      if (body.is_object() && body.value("ok", true) == false) {
        return counted(ApiResult::refused(body.value("error", "unknown_error")));
      }
      return counted(ApiResult::success());
    }
    if (body.is_discarded() || !body.is_object())
      return counted(ApiResult::failure("invalid_response"));
    if (!body.value("ok", false)) {
      const std::string error = body.value("error", "unknown_error");
      spdlog::debug("{}: Slack answered {}", what, error);
      return counted(ApiResult::refused(error, std::move(body)));
    }
    return counted(ApiResult::success(std::move(body)));
  }
}

ApiResult WebSlackApi::post_message(std::string_view channel, const Message& message) {
  return client_.call("chat.postMessage", message.to_post_json(channel));
}

ApiResult WebSlackApi::post_ephemeral(std::string_view channel, std::string_view user,
                                      const Message& message) {
  auto body = message.to_post_json(channel);
  body["user"] = std::string(user);
  return client_.call("chat.postEphemeral", body);
}

ApiResult WebSlackApi::respond(std::string_view response_url, const Message& message) {
  return client_.post_to_response_url(response_url, message.to_response_json());
}

ApiResult WebSlackApi::update_message(std::string_view channel, std::string_view ts,
                                      const Message& message) {
  auto body = message.to_post_json(channel);
  body["ts"] = std::string(ts);
  return client_.call("chat.update", body);
}

ApiResult WebSlackApi::user_info(std::string_view user_id) {
  return client_.call_form("users.info", {{"user", std::string(user_id)}});
}

ApiResult WebSlackApi::do_not_disturb(std::string_view user_id) {
  // dnd.info is Tier 3 (50 a minute): checked for every nudge of a fan-out,
  // it would hold ten thousand nudges up for hours. Slack holds a DM's
  // notification during Do Not Disturb anyway, so bulk work checks only
  // when its turn is close, and otherwise sends without asking.
  std::optional<std::chrono::milliseconds> give_up_after;
  if (BulkWork::current() == Lane::kBulk) give_up_after = std::chrono::milliseconds{1000};
  return client_.call_form("dnd.info", {{"user", std::string(user_id)}}, give_up_after);
}

ApiResult WebSlackApi::open_view(std::string_view trigger_id, const nlohmann::json& view) {
  return client_.call("views.open", {{"trigger_id", std::string(trigger_id)}, {"view", view}});
}

ApiResult WebSlackApi::publish_home(std::string_view user_id, const nlohmann::json& view) {
  return client_.call("views.publish", {{"user_id", std::string(user_id)}, {"view", view}});
}

}  // namespace ff
