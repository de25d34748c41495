#include "db/json_columns.h"

#include <json/reader.h>

#include <memory>

#include "common/json_text.h"
#include "common/time.h"

namespace ez::db {

std::string json_array_text(const std::vector<std::string>& items) {
  return to_json(string_array_json(items));
}

Json::Value string_array_json(const std::vector<std::string>& items) {
  Json::Value a(Json::arrayValue);
  for (const auto& s : items) a.append(s);
  return a;
}

Json::Value parse_json_text(const std::string& text) {
  if (text.empty()) return Json::Value(Json::nullValue);
  static const Json::CharReaderBuilder builder;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value v;
  std::string errors;
  if (!reader->parse(text.data(), text.data() + text.size(), &v, &errors))
    return Json::Value(Json::nullValue);
  return v;
}

namespace {

// ["a","b"] with no escapes, as array_to_json prints most text[] columns: read without
// jsoncpp (a reader per call and a Value per item were a tenth of a provider list's
// worker time). False (and `out` unspecified) for anything else, which the caller
// hands to jsoncpp.
bool parse_plain_string_array(const std::string& text, std::vector<std::string>& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto skip_space = [&] {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  };
  skip_space();
  if (p == end || *p++ != '[') return false;
  skip_space();
  if (p != end && *p == ']') {
    ++p;
  } else {
    for (;;) {
      if (p == end || *p++ != '"') return false;
      const char* start = p;
      while (p != end && *p != '"') {
        // An escape or a raw control byte: jsoncpp decides (and refuses the latter).
        if (*p == '\\' || static_cast<unsigned char>(*p) < 0x20) return false;
        ++p;
      }
      if (p == end) return false;
      out.emplace_back(start, p);
      ++p;
      skip_space();
      if (p == end) return false;
      if (*p == ']') {
        ++p;
        break;
      }
      if (*p++ != ',') return false;
      skip_space();
    }
  }
  skip_space();
  return p == end;
}

}  // namespace

std::vector<std::string> parse_json_string_array(const std::string& text) {
  std::vector<std::string> out;
  if (parse_plain_string_array(text, out)) return out;
  out.clear();
  const Json::Value v = parse_json_text(text);
  if (!v.isArray()) return out;
  for (const auto& item : v)
    if (item.isString()) out.push_back(item.asString());
  return out;
}

std::string rfc3339_from_micros(int64_t micros) {
  return format_rfc3339(TimePoint(std::chrono::microseconds(micros)));
}

}  // namespace ez::db
