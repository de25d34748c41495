// libpq results into Cells (db/cells.h), and the loops every repository runs
// over them with its row's decode(const Cells&, Row&).
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "db/cells.h"

namespace ez::db {

void cells_of(const pqxx::row& r, Cells& out);

template <typename Row>
[[nodiscard]] Row decode_row(const pqxx::row& r) {
  Cells c;
  cells_of(r, c);
  Row row;
  decode(c, row);
  return row;
}

template <typename Row>
[[nodiscard]] std::optional<Row> decode_first(const pqxx::result& res) {
  if (res.empty()) return std::nullopt;
  return decode_row<Row>(res[0]);
}

template <typename Row>
[[nodiscard]] std::vector<Row> decode_rows(const pqxx::result& res) {
  std::vector<Row> out;
  out.reserve(res.size());
  Cells c;
  for (const auto& r : res) {
    cells_of(r, c);
    decode(c, out.emplace_back());
  }
  return out;
}

}  // namespace ez::db
