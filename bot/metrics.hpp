#pragma once

// What the bot counts for its operators, written out in the Prometheus text
// exposition format by the ops listener (bot/ops). Counting is cheap enough
// for the hot path: a histogram is a few relaxed atomic adds, a labelled
// counter one short lock and a map lookup on names of our own (methods,
// commands, job kinds), never on text a user chose, so the number of series
// stays bounded.
//
// The registry is the process's: like every Prometheus client library's
// default one, it needs no plumbing through each part that counts. What a
// part already counts per object (the dispatcher's, the inbox's, the
// scheduler's counters) is read at scrape time by a collector instead.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ff::metrics {

// Writes metric families: HELP and TYPE lines, then samples, with label
// values and help text escaped as the format requires.
class Exposition {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family; its samples follow. A family is written once.
  void family(std::string_view name, Type type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Durations in buckets of fixed upper bounds, in seconds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(std::chrono::nanoseconds duration);
  // Writes the _bucket, _sum and _count samples (not the family header).
  void write(Exposition& out, std::string_view name, const Exposition::Labels& labels) const;

  // The bounds for what should take milliseconds: an ack, a handler.
  static std::vector<double> latency_bounds();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Counters keyed by N label values, created on first use.
template <std::size_t N>
class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::array<std::string, N> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

  void add(const std::array<std::string_view, N>& values, double by = 1) {
    std::lock_guard lock(mutex_);
    auto found = values_.find(values);
    if (found == values_.end()) {
      std::array<std::string, N> key;
      for (std::size_t i = 0; i < N; ++i) key[i] = std::string(values[i]);
      found = values_.emplace(std::move(key), 0.0).first;
    }
    found->second += by;
  }
  double value(const std::array<std::string_view, N>& values) const {
    std::lock_guard lock(mutex_);
    const auto found = values_.find(values);
    return found == values_.end() ? 0 : found->second;
  }
  void write(Exposition& out) const {
    out.family(name_, Exposition::Type::kCounter, help_);
    std::lock_guard lock(mutex_);
    for (const auto& [key, count] : values_) {
      Exposition::Labels labels;
      for (std::size_t i = 0; i < N; ++i) labels.emplace_back(label_names_[i], key[i]);
      out.sample(name_, labels, count);
    }
  }

 private:
  struct Less {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      for (std::size_t i = 0; i < N; ++i) {
        const std::string_view x(a[i]);
        const std::string_view y(b[i]);
        if (x != y) return x < y;
      }
      return false;
    }
  };
  const std::string name_;
  const std::string help_;
  const std::array<std::string, N> label_names_;
  mutable std::mutex mutex_;
  std::map<std::array<std::string, N>, double, Less> values_;
};

// Histograms keyed by one label value (a command), created on first use.
class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::string label_name);
  void observe(std::string_view value, std::chrono::nanoseconds duration);
  void write(Exposition& out) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::string label_name_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms_;
};

// What the parts of the bot count as it happens.
struct Registry {
  Histogram ack_latency{Histogram::latency_bounds()};
  HistogramFamily handler_seconds{"firstfollower_handler_seconds",
                                  "Time a handler took, by command.", "command"};
  CounterFamily<2> envelopes{"firstfollower_envelopes_total",
                             "Envelopes from Slack, by type and outcome.",
                             {"type", "outcome"}};
  CounterFamily<2> api_calls{"firstfollower_web_api_calls_total",
                             "Web API calls, by method and result (ok or Slack's error).",
                             {"method", "result"}};
  CounterFamily<1> rate_limited{"firstfollower_web_api_rate_limited_total",
                                "HTTP 429 answers from Slack, by method.",
                                {"method"}};
  CounterFamily<1> retry_after_waited{"firstfollower_web_api_retry_after_seconds_total",
                                      "Seconds waited on Slack's Retry-After, by method.",
                                      {"method"}};
  CounterFamily<1> reconnects{"firstfollower_socket_mode_reconnects_total",
                              "Socket Mode connections replaced or reopened, by reason.",
                              {"reason"}};
  CounterFamily<2> jobs{"firstfollower_jobs_total",
                        "Durable jobs, by kind and outcome: claimed, done, failed, retried, "
                        "skipped (missed past its grace window), abandoned (kind any).",
                        {"kind", "outcome"}};

  void write(Exposition& out) const;
};

Registry& registry();

// A steady-clock stopwatch for the histograms.
class Stopwatch {
 public:
  Stopwatch() : started_(std::chrono::steady_clock::now()) {}
  std::chrono::nanoseconds elapsed() const { return std::chrono::steady_clock::now() - started_; }

 private:
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ff::metrics
