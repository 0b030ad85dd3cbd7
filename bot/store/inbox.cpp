// The SQL of the inbox: every envelope written before its ack, until handled.
#include <algorithm>

#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

std::vector<std::string> SqlStore::commit_inbox_batch(const std::vector<InboxEntry>& arrived,
                                                      const std::vector<std::string>& finished,
                                                      const std::string& owner, TimePoint now,
                                                      TimePoint lease_until) {
  std::vector<std::string> fresh;
  database_->transact([&](SqlSession& s) {
    fresh.clear();  // a retried transaction starts again
    // One statement for many envelopes: on PostgreSQL one round trip claims
    // them all, and the unique keys decide atomically which were new.
    rows::for_each_padded_chunk(
        arrived.size(), [&](std::size_t from, std::size_t count, std::size_t length) {
          const std::string sql =
              "INSERT INTO inbox (envelope_id, event_id, frame, owner, lease_until, received_at) "
              "VALUES " +
              rows::parameter_rows(1, length, 6) + " ON CONFLICT DO NOTHING RETURNING envelope_id";
          std::vector<SqlValue> params;
          params.reserve(length * 6);
          for (std::size_t i = 0; i < length; ++i) {
            const InboxEntry& e = arrived[from + std::min(i, count - 1)];
            params.emplace_back(e.envelope_id);
            params.emplace_back(e.event_id.empty() ? SqlValue{nullptr} : SqlValue{e.event_id});
            params.emplace_back(e.frame);
            params.emplace_back(owner);
            params.emplace_back(to_millis(lease_until));
            params.emplace_back(to_millis(now));
          }
          for (const auto& row : s.run(sql, params).rows) fresh.push_back(row.text(0));
        });
    // The frame is what the person wrote: once handled, only the ids stay,
    // for the dedupe window.
    rows::run_over_ids(s,
                       "UPDATE inbox SET state = 'done', frame = '', finished_at = $1, "
                       "lease_until = 0 WHERE state = 'pending' AND envelope_id IN ",
                       "", {to_millis(now)}, finished, [](const SqlResult&) {});
  });
  return fresh;
}

std::vector<UnfinishedEnvelope> SqlStore::take_unfinished(const std::string& owner, TimePoint now,
                                                          TimePoint lease_until, bool any_lease,
                                                          int limit, int max_attempts,
                                                          std::int64_t& abandoned) {
  std::vector<UnfinishedEnvelope> taken;
  database_->transact([&](SqlSession& s) {
    taken.clear();
    const std::int64_t any = any_lease ? 1 : 0;
    // Never its own: what this instance took or received it is handling,
    // even when a long take-up outlasted a lease before its first renewal.
    abandoned = s.run(
                     "UPDATE inbox SET state = 'abandoned', frame = '', finished_at = $1, "
                     "lease_until = 0 WHERE state = 'pending' AND attempts >= $2 AND "
                     "owner <> $4 AND (lease_until < $1 OR $3 = 1)",
                     {to_millis(now), std::int64_t{max_attempts}, any, owner})
                    .affected;
    const SqlResult r = s.run(
        "UPDATE inbox SET owner = $1, lease_until = $2, attempts = attempts + 1 "
        "WHERE envelope_id IN (SELECT envelope_id FROM inbox WHERE state = 'pending' AND "
        "owner <> $1 AND (lease_until < $3 OR $4 = 1) ORDER BY seq LIMIT $5 {{skip_locked}}) "
        "RETURNING envelope_id, frame, attempts, seq",
        {owner, to_millis(lease_until), to_millis(now), any, std::int64_t{limit}});
    std::vector<std::pair<std::int64_t, UnfinishedEnvelope>> in_order;
    for (const auto& row : r.rows) {
      in_order.push_back({row.integer(3), UnfinishedEnvelope{row.text(0), row.text(1),
                                                             static_cast<int>(row.integer(2))}});
    }
    // RETURNING keeps no order; seq is the order of arrival.
    std::stable_sort(in_order.begin(), in_order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [seq, envelope] : in_order) taken.push_back(std::move(envelope));
  });
  return taken;
}

std::int64_t SqlStore::renew_inbox_leases(const std::string& owner, TimePoint until) {
  return database_
      ->run_statement("UPDATE inbox SET lease_until = $2 WHERE owner = $1 AND state = 'pending'",
                      {owner, to_millis(until)})
      .affected;
}

std::int64_t SqlStore::release_inbox_leases(const std::string& owner) {
  return database_
      ->run_statement("UPDATE inbox SET lease_until = 0 WHERE owner = $1 AND state = 'pending'",
                      {owner})
      .affected;
}

std::int64_t SqlStore::forget_finished_before(TimePoint before) {
  return database_
      ->run_statement("DELETE FROM inbox WHERE state <> 'pending' AND finished_at < $1",
                      {to_millis(before)})
      .affected;
}

}  // namespace ff::store
