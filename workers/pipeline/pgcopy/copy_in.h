// COPY ... FROM STDIN of rows formatted by CopyRow (copy_text.h), over libpqxx's stream_to.
//
// stream_to escapes each field of a tuple through pqxx::internal::TypedCopyEscaper, one
// std::string at a time; for the flusher that was most of its CPU time (profiled: pqxx's
// escape() alone ~1/3, the copies around it another third). The rows here are escaped
// already, so each goes to stream_to as ONE field that the escaper specialisation
// below hands through unchanged: stream_to only frames and sends it.
// That specialisation reaches into libpqxx's internals (6.4), so it exists once, here: a
// libpqxx upgrade that changes stream_to changes this file and nothing else.
#pragma once

#include <pqxx/stream_to>
#include <string>
#include <tuple>
#include <vector>

namespace ez::pgcopy {

// One whole COPY row, already in COPY text format (no trailing newline).
struct CopyLine {
  const std::string* text;
};

}  // namespace ez::pgcopy

namespace pqxx::internal {
template <>
inline std::string TypedCopyEscaper::operator()<ez::pgcopy::CopyLine>(
    const ez::pgcopy::CopyLine* line) const {
  return *line->text;
}
}  // namespace pqxx::internal

namespace ez::pgcopy {

// One COPY into `table` (`columns` in the rows' order) inside `tx`. write() sends one
// formatted row; complete() ends the COPY (before it, the transaction cannot run anything
// else). Destroyed without complete(), the COPY is abandoned with the transaction.
class CopyIn {
 public:
  CopyIn(pqxx::transaction_base& tx, const std::string& table,
         const std::vector<std::string>& columns)
      : stream_(tx, table, columns) {}

  void write(const std::string& line) { stream_ << std::make_tuple(CopyLine{&line}); }
  void complete() { stream_.complete(); }

 private:
  pqxx::stream_to stream_;
};

}  // namespace ez::pgcopy
