#include "bot/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace ff::metrics {

namespace {

const char* type_name(Exposition::Type type) {
  switch (type) {
    case Exposition::Type::kCounter:
      return "counter";
    case Exposition::Type::kGauge:
      return "gauge";
    case Exposition::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Label values escape backslash, double quote and line feed; HELP text
// only backslash and line feed.
void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char text[32];
  // Whole numbers (counts) without a fraction; others with enough digits.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.9g", value);
  }
  return text;
}

}  // namespace

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  append_escaped(text_, help, false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type_name(type);
  text_ += '\n';
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_ += ',';
      text_ += labels[i].first;
      text_ += "=\"";
      append_escaped(text_, labels[i].second, true);
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += number(value);
  text_ += '\n';
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

std::vector<double> Histogram::latency_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Histogram::observe(std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && seconds > bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0)),
                    std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::write(Exposition& out, std::string_view name,
                      const Exposition::Labels& labels) const {
  const std::string base(name);
  std::uint64_t cumulative = 0;
  Exposition::Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    with_le.back().second = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out.sample(base + "_bucket", with_le, static_cast<double>(cumulative));
  }
  out.sample(base + "_sum", labels,
             static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  // The count is the +Inf bucket's, read once, so the two always agree.
  out.sample(base + "_count", labels, static_cast<double>(cumulative));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::string label_name)
    : name_(std::move(name)), help_(std::move(help)), label_name_(std::move(label_name)) {}

void HistogramFamily::observe(std::string_view value, std::chrono::nanoseconds duration) {
  Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto found = histograms_.find(value);
    if (found == histograms_.end()) {
      found =
          histograms_
              .emplace(std::string(value), std::make_unique<Histogram>(Histogram::latency_bounds()))
              .first;
    }
    histogram = found->second.get();
  }
  histogram->observe(duration);  // histograms are never removed
}

void HistogramFamily::write(Exposition& out) const {
  out.family(name_, Exposition::Type::kHistogram, help_);
  std::lock_guard lock(mutex_);
  for (const auto& [value, histogram] : histograms_) {
    histogram->write(out, name_, {{label_name_, value}});
  }
}

void Registry::write(Exposition& out) const {
  out.family("firstfollower_ack_latency_seconds", Exposition::Type::kHistogram,
             "Time from an envelope's arrival to its ack leaving.");
  ack_latency.write(out, "firstfollower_ack_latency_seconds", {});
  handler_seconds.write(out);
  envelopes.write(out);
  api_calls.write(out);
  rate_limited.write(out);
  retry_after_waited.write(out);
  reconnects.write(out);
  jobs.write(out);
}

Registry& registry() {
  static Registry process;
  return process;
}

}  // namespace ff::metrics
