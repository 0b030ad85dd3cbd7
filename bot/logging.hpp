#pragma once

// How log lines are written, and what they carry besides their message.
//
// Human-readable lines are the default. `[bot] log_format = "json"` (or
// `--log-format json`) writes one JSON object per line instead, for whatever
// collects logs: time, level, message, and, where the line was written while
// handling an envelope or running a job, the envelope id, the command, the
// user id and the job id. Those come from a LogScope on the thread that
// handles it, so no log call has to pass them along.
//
// Nothing secret is ever a field: tokens, ticket URLs, passwords and what
// people write in a dialog stay out of every line at every level, because
// no code logs them, and a test runs the bot's error paths to hold it so.

#include <cstdint>
#include <string>

namespace ff {

struct LogContext {
  std::string envelope_id;
  std::string command;  // "/coach", "action:coach_another", "event:message"
  std::string user_id;
  std::int64_t job_id = 0;
};

// Sets the calling thread's context for as long as it lives; what it does
// not set stays as it was. Scopes nest.
class LogScope {
 public:
  explicit LogScope(LogContext context);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogContext saved_;
};

const LogContext& current_log_context();

// "text" or "json"; anything else is refused by the configuration first.
void use_log_format(const std::string& format);

}  // namespace ff
