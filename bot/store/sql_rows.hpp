#pragma once

// Row conversions shared by the SQL stores' files; internal to bot/store.

#include <optional>

#include "bot/store/stores.hpp"

namespace ff::store::rows {

inline SqlValue optional_time(const std::optional<TimePoint>& at) {
  return at ? SqlValue{to_millis(*at)} : SqlValue{nullptr};
}

inline std::optional<TimePoint> optional_time(const SqlRow& row, std::size_t column) {
  if (row.is_null(column)) return std::nullopt;
  return from_millis(row.integer(column));
}

}  // namespace ff::store::rows
