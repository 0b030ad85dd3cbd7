#pragma once

// Row conversions shared by the SQL stores' files; internal to bot/store.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "bot/store/stores.hpp"

namespace ff::store::rows {

inline SqlValue optional_time(const std::optional<TimePoint>& at) {
  return at ? SqlValue{to_millis(*at)} : SqlValue{nullptr};
}

inline std::optional<TimePoint> optional_time(const SqlRow& row, std::size_t column) {
  if (row.is_null(column)) return std::nullopt;
  return from_millis(row.integer(column));
}

// Statements are prepared once per connection and cached by their text, so
// lists of ids or rows are padded to a few fixed lengths (repeating the last
// item) rather than giving every batch size a statement of its own.
constexpr std::size_t kLongestIdList = 128;

inline std::size_t padded_length(std::size_t items) {
  std::size_t length = 1;
  while (length < items) length *= 2;
  return length;
}

// Runs `chunk(from, count, length)` over `items` in chunks of at most
// kLongestIdList, `length` being `count` padded.
template <typename Chunk>
void for_each_padded_chunk(std::size_t items, Chunk&& chunk) {
  for (std::size_t from = 0; from < items; from += kLongestIdList) {
    const std::size_t count = std::min(kLongestIdList, items - from);
    chunk(from, count, padded_length(count));
  }
}

// "$f, $f+1, …": `count` parameters from $first.
inline std::string parameter_list(std::size_t first, std::size_t count) {
  std::string sql;
  for (std::size_t i = 0; i < count; ++i) sql += (i == 0 ? "$" : ", $") + std::to_string(first + i);
  return sql;
}

// "($f, $f+1, …), (…)": `rows` groups of `columns` parameters from $first.
inline std::string parameter_rows(std::size_t first, std::size_t rows, std::size_t columns) {
  std::string sql;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < columns; ++c) {
      if (c > 0) sql += ", ";
      sql += "$" + std::to_string(first + r * columns + c);
    }
    sql += ")";
  }
  return sql;
}

// Runs `head` + "(" + placeholders + ")" + `tail` once per padded chunk of
// `ids`, with `fixed` as its first parameters and the chunk's ids after
// them, and hands each result to `each`: a statement about many ids ("…
// WHERE id IN (…)") in as few round trips and cached statements as can be.
template <typename Id, typename Each>
void run_over_ids(SqlSession& s, const std::string& head, const std::string& tail,
                  const std::vector<SqlValue>& fixed, const std::vector<Id>& ids, Each&& each) {
  for_each_padded_chunk(ids.size(), [&](std::size_t from, std::size_t count, std::size_t length) {
    const std::string sql = head + "(" + parameter_list(fixed.size() + 1, length) + ")" + tail;
    std::vector<SqlValue> params = fixed;
    for (std::size_t i = 0; i < length; ++i)
      params.emplace_back(ids[from + std::min(i, count - 1)]);
    each(s.run(sql, params));
  });
}

}  // namespace ff::store::rows
