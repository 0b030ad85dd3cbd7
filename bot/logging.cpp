#include "bot/logging.hpp"

#include <chrono>
#include <ctime>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace ff {

namespace {

thread_local LogContext context;

// One JSON object per line. Messages are any text the bot wrote, which may
// hold invalid UTF-8 from a peer: it is replaced, never thrown on.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t whole = seconds.count();
    std::tm utc{};
    gmtime_r(&whole, &utc);
    char time[40];
    const std::size_t n = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(time + n, sizeof time - n, ".%03lldZ", static_cast<long long>(millis));

    nlohmann::ordered_json line = {
        {"time", time},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"message", std::string(msg.payload.data(), msg.payload.size())}};
    const LogContext& c = current_log_context();
    if (!c.envelope_id.empty()) line["envelope_id"] = c.envelope_id;
    if (!c.command.empty()) line["command"] = c.command;
    if (!c.user_id.empty()) line["user_id"] = c.user_id;
    if (c.job_id != 0) line["job_id"] = c.job_id;
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

LogScope::LogScope(LogContext next) : saved_(context) {
  if (!next.envelope_id.empty()) context.envelope_id = std::move(next.envelope_id);
  if (!next.command.empty()) context.command = std::move(next.command);
  if (!next.user_id.empty()) context.user_id = std::move(next.user_id);
  if (next.job_id != 0) context.job_id = next.job_id;
}

LogScope::~LogScope() {
  context = std::move(saved_);
}

const LogContext& current_log_context() {
  return context;
}

void use_log_format(const std::string& format) {
  if (format == "json") {
    spdlog::set_formatter(std::make_unique<JsonFormatter>());
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
}

}  // namespace ff
