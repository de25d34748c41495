// One row of PostgreSQL's COPY text format, built field by field: the flusher's log rows
// and the import's rows are both written with COPY ... FROM STDIN (copy_in.h). Pure:
// unit-tested in tests/unit/pipeline/pgcopy/copy_text_test.cpp.
//
// Format: fields separated by a tab, NULL as \N; in a field, backslash, tab,
// newline and carriage return are escaped with a backslash (everything else,
// UTF-8 included, goes as it is). A text[] field is an array literal
// {"a","b"} whose elements are always quoted (so "NULL" stays a string), with
// '"' and '\' escaped for the array parser, then escaped again for COPY.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ez::pgcopy {

class CopyRow {
 public:
  CopyRow& text(std::string_view v);
  CopyRow& optional_text(std::optional<std::string_view> v);  // nullopt: NULL
  CopyRow& integer(int64_t v);
  CopyRow& boolean(bool v);
  CopyRow& text_array(const std::vector<std::string>& items);

  // The row without its newline; clear() starts the next one (keeps the capacity).
  [[nodiscard]] const std::string& line() const { return line_; }
  void clear() {
    line_.clear();
    fields_ = 0;
  }

 private:
  void separate() {
    if (fields_++) line_ += '\t';
  }
  std::string line_;
  size_t fields_ = 0;
};

}  // namespace ez::pgcopy
