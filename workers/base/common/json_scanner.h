// A JSON document walked member by member and element by element, without building its
// tree: the caller asks for the next member name or the raw text of the next value, and
// parses (with jsoncpp, strict mode) only the values it wants as trees. So a large file's
// arrays are read one element at a time and memory holds one element's tree, not the
// whole document's. Every error is Error(bad_json) naming the caller's JSON path and the
// byte offset ("data.keys[17]: expected ',' or ']' at byte 5120").
//
//   JsonScanner sc(text);
//   sc.expect('{', "");
//   do { const std::string name = sc.key(""); ... sc.value(name) ... } while (sc.next('}', ""));
#pragma once

#include <json/reader.h>
#include <json/value.h>

#include <memory>
#include <string>
#include <string_view>

namespace ez {

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text);

  void skip_ws();
  [[nodiscard]] bool at_end();
  [[nodiscard]] char peek();
  // The next character must be `c` (after white space); consumes it.
  void expect(char c, const std::string& path);
  // After a member or an element: true when another follows (',' consumed), false at
  // `close` (consumed).
  [[nodiscard]] bool next(char close, const std::string& path);
  // Consumes a `null` literal when one is next.
  [[nodiscard]] bool consume_null();
  // A member name (a JSON string), decoded.
  [[nodiscard]] std::string key(const std::string& path);
  // The raw text of the next value; its syntax is checked by parse().
  [[nodiscard]] std::string_view value(const std::string& path);
  // `raw` (a value's text) as a tree, strictly: trailing commas, comments and NaN refused.
  [[nodiscard]] Json::Value parse(std::string_view raw, const std::string& path);
  [[noreturn]] void bad(const std::string& path, const std::string& what);

 private:
  std::string_view skip_string(const std::string& path);

  std::string_view s_;
  size_t pos_ = 0;
  std::unique_ptr<Json::CharReader> reader_;
};

}  // namespace ez
