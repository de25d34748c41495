// The one way rows are read out of PostgreSQL: every column as PostgreSQL's
// text output, whether it came from a libpq result or from a line of
// COPY ... TO STDOUT, so a repository and the snapshot's million-key stream
// decode the same cells with the same functions (the rows' decoders are in
// each *_repo.h). No libpqxx here: unit tests feed cells as COPY would.
//
// The decoding rules, one set for every resource:
//   * text[] arrives as an array literal ('{a,"b c",NULL}', array_out's form)
//     and is read by parse_array_literal (quotes, escapes, a lower-bound
//     decoration '[0:1]={..}', nested arrays flattened, NULL elements dropped);
//   * timestamptz arrives as integer microseconds since the epoch
//     (EZ_SQL_MICROS): RFC 3339 for the API, floor seconds for the snapshots;
//   * a NULL cell decodes as its field's empty value ("", 0, false, no
//     elements); fields where NULL means something (a key's expiry, a price)
//     are std::optional and read with is_null().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ez::db {

class Cells {
 public:
  // Reuses its storage row after row: clear(), then add() every column.
  void clear() { cells_.clear(); }
  void add(std::string_view text) { cells_.push_back(text.data() ? text : std::string_view("")); }
  void add_null() { cells_.emplace_back(); }
  // The decoded fields of one COPY line (split_copy_line); nullopt = NULL.
  void assign(const std::vector<std::optional<std::string>>& fields, size_t n);

  [[nodiscard]] size_t size() const { return cells_.size(); }
  [[nodiscard]] bool is_null(size_t i) const { return cells_[i].data() == nullptr; }
  [[nodiscard]] std::string_view text(size_t i) const {
    return is_null(i) ? std::string_view("") : cells_[i];
  }
  [[nodiscard]] std::string str(size_t i) const { return std::string(text(i)); }
  // Assigns into `out`, keeping its buffer (the stream reuses one row).
  void str(size_t i, std::string& out) const { out.assign(text(i)); }
  [[nodiscard]] std::optional<std::string> opt_str(size_t i) const;
  [[nodiscard]] int64_t i64(size_t i) const;
  [[nodiscard]] double f64(size_t i) const;
  [[nodiscard]] bool boolean(size_t i) const { return text(i) == "t"; }
  void array(size_t i, std::vector<std::string>& out) const;
  // An EZ_SQL_MICROS column as RFC 3339 UTC; "" when NULL.
  [[nodiscard]] std::string rfc3339(size_t i) const;

 private:
  std::vector<std::string_view> cells_;  // data() == nullptr: NULL
};

// '{a,"b c"}' -> {"a", "b c"} into `out`, reusing its strings. Elements that
// are NULL carry no value and are dropped; a nested array is flattened; an
// empty or malformed literal gives no elements.
void parse_array_literal(std::string_view literal, std::vector<std::string>& out);
[[nodiscard]] std::vector<std::string> parse_array_literal(std::string_view literal);

// Array literals for parameters (`= ANY($1::text[])`): every element quoted.
[[nodiscard]] std::string text_array(const std::vector<std::string>& values);
[[nodiscard]] std::string int_array(const std::vector<int64_t>& values);

// Whole seconds (rounded down, as date_part would) of microseconds since the epoch.
[[nodiscard]] constexpr int64_t floor_seconds(int64_t micros) {
  return micros >= 0 ? micros / 1000000 : -((-(micros + 1)) / 1000000) - 1;
}

// One line of COPY ... TO STDOUT (text format) split into the first N entries
// of `fields` (returns N; the vector is reused from line to line), escapes
// decoded; a NULL field is nullopt.
size_t split_copy_line(const std::string& line, std::vector<std::optional<std::string>>& fields);

}  // namespace ez::db
