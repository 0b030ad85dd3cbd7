#include "bot/inbox/durable_inbox.hpp"

#include <unordered_set>

#include <spdlog/spdlog.h>

#include "bot/instance.hpp"

namespace ff {
namespace {

DurableInboxOptions named(DurableInboxOptions options) {
  if (options.owner.empty()) options.owner = made_up_instance_name();
  if (options.max_batch == 0) options.max_batch = 1;
  return options;
}

// Envelopes taken up per statement; the rest follow in the next ones.
constexpr int kTakeUpBatch = 100;

}  // namespace

DurableInbox::DurableInbox(store::InboxStore& store, Inbox& fallback, const Clock& clock,
                           DurableInboxOptions options)
    : store_(store), fallback_(fallback), clock_(clock), options_(named(std::move(options))) {}

DurableInbox::~DurableInbox() {
  stop();
}

void DurableInbox::start(Resume resume) {
  {
    std::lock_guard lock(mutex_);
    if (writer_.joinable()) return;
    stopping_ = false;
  }
  resume_ = std::move(resume);
  take_up(options_.alone_on_database);
  writer_ = std::thread([this] { run(); });
}

void DurableInbox::admit(InboxEntry entry, std::function<void(Admission)> then) {
  {
    std::lock_guard lock(mutex_);
    if (writer_.joinable() && !stopping_) {
      arrivals_.push_back({std::move(entry), std::move(then)});
      wake_.notify_one();
      return;
    }
  }
  // Not started (or stopped): written on the caller's thread.
  std::vector<Arrival> one;
  one.push_back({std::move(entry), std::move(then)});
  std::vector<std::string> none;
  write(one, none);
}

void DurableInbox::finished(std::string envelope_id, std::function<void()> then) {
  {
    std::lock_guard lock(mutex_);
    if (writer_.joinable() && !stopping_) {
      finished_.push_back(std::move(envelope_id));
      if (then) after_finished_.push_back(std::move(then));
      wake_.notify_one();
      return;
    }
  }
  std::vector<Arrival> none;
  std::vector<std::string> one{std::move(envelope_id)};
  write(none, one);
  if (then) then();
}

void DurableInbox::run() {
  using Steady = std::chrono::steady_clock;
  // Real time: how often the leases are looked after, not what they say.
  auto next_lease_check = Steady::now() + options_.lease / 3;
  std::vector<Arrival> arrivals;
  std::vector<std::string> finished;
  std::vector<std::function<void()>> after_finished;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_lease_check,
                       [this] { return stopping_ || !arrivals_.empty() || !finished_.empty(); });
      // Everything that arrived while the last batch was written goes into
      // this one: the group commit.
      if (arrivals_.size() <= options_.max_batch) {
        arrivals.swap(arrivals_);
      } else {
        const auto cut = arrivals_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        arrivals.assign(std::make_move_iterator(arrivals_.begin()), std::make_move_iterator(cut));
        arrivals_.erase(arrivals_.begin(), cut);
      }
      finished.swap(finished_);
      after_finished.swap(after_finished_);
      stopping = stopping_ && arrivals_.empty() && finished_.empty();
    }
    if (!arrivals.empty() || !finished.empty()) write(arrivals, finished);
    arrivals.clear();
    // Once only, written or not: the replies waiting on it go either way.
    for (auto& then : after_finished) then();
    after_finished.clear();
    if (!finished.empty()) {
      // Not written (the database failed): tried again with the next batch.
      std::lock_guard lock(mutex_);
      finished_.insert(finished_.end(), std::make_move_iterator(finished.begin()),
                       std::make_move_iterator(finished.end()));
      finished.clear();
      if (stopping) break;  // the database is away: the next start handles them again
    }
    if (stopping) break;
    if (Steady::now() >= next_lease_check) {
      keep_leases();
      next_lease_check = Steady::now() + options_.lease / 3;
    }
  }
}

// Leaves `finished` empty once it was written, as it was when it failed.
void DurableInbox::write(std::vector<Arrival>& arrivals, std::vector<std::string>& finished) {
  std::vector<InboxEntry> entries;
  entries.reserve(arrivals.size());
  for (auto& arrival : arrivals) entries.push_back(std::move(arrival.entry));
  std::vector<std::string> fresh;
  const auto now = clock_.now();
  try {
    fresh = store_.commit_inbox_batch(entries, finished, options_.owner, now, now + options_.lease);
  } catch (const std::exception& error) {
    note_store_failure("could not write the inbox", error);
    for (std::size_t i = 0; i < arrivals.size(); ++i)
      fallback_.admit(std::move(entries[i]), std::move(arrivals[i].then));
    return;
  }
  finished.clear();
  ++counters_.batches;
  counters_.written += fresh.size();
  // The first of a batch with a given id is the one the database kept.
  std::unordered_set<std::string> is_new(fresh.begin(), fresh.end());
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    const bool first = is_new.erase(entries[i].envelope_id) > 0;
    if (!first) ++counters_.redeliveries;
    arrivals[i].then(first ? Admission::kNew : Admission::kAlreadyIn);
  }
}

void DurableInbox::keep_leases() {
  try {
    store_.renew_inbox_leases(options_.owner, clock_.now() + options_.lease);
  } catch (const std::exception& error) {
    note_store_failure("could not renew the inbox's leases", error);
    return;
  }
  take_up(false);
}

void DurableInbox::take_up(bool any_lease) {
  // Bounded: a few thousand at a time; the next check takes the rest.
  for (int round = 0; round < 50; ++round) {
    std::vector<UnfinishedEnvelope> taken;
    std::int64_t abandoned = 0;
    const auto now = clock_.now();
    try {
      // A long take-up must not outlast the leases of its first rounds.
      if (round > 0) store_.renew_inbox_leases(options_.owner, now + options_.lease);
      taken = store_.take_unfinished(options_.owner, now, now + options_.lease, any_lease,
                                     kTakeUpBatch, options_.max_attempts, abandoned);
    } catch (const std::exception& error) {
      note_store_failure("could not take up unfinished envelopes", error);
      return;
    }
    if (abandoned > 0) {
      counters_.abandoned += static_cast<std::uint64_t>(abandoned);
      spdlog::error("inbox: gave up {} envelope(s) taken up {} times without finishing", abandoned,
                    options_.max_attempts);
    }
    if (!taken.empty()) {
      spdlog::info("inbox: taking up {} unfinished envelope(s)", taken.size());
      counters_.taken_up += taken.size();
    }
    for (auto& envelope : taken) {
      if (resume_) resume_(std::move(envelope));
    }
    if (taken.size() < static_cast<std::size_t>(kTakeUpBatch)) return;
  }
}

void DurableInbox::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  try {
    const auto released = store_.release_inbox_leases(options_.owner);
    if (released > 0) {
      spdlog::info("inbox: {} envelope(s) left unfinished for the next start or another instance",
                   released);
    }
  } catch (const std::exception& error) {
    note_store_failure("could not release the inbox's leases", error);
  }
}

void DurableInbox::note_store_failure(const char* what, const std::exception& error) {
  // The first failure and then every thousandth: not a line per envelope.
  if (counters_.store_failures++ % 1000 == 0) {
    spdlog::warn("inbox: {} ({}); envelopes are admitted from memory meanwhile", what,
                 error.what());
  }
}

}  // namespace ff
