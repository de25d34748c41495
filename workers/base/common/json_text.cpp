#include "common/json_text.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "common/json_writer.h"

namespace ez {

std::optional<size_t> find_json_comment(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/') {
      return i;
    }
  }
  return std::nullopt;
}

std::string to_json(const Json::Value& value) {
  std::string text;
  text.reserve(256);
  append_json(text, value);  // common/json_writer.h: jsoncpp's bytes without its streams
  return text;
}

std::optional<int64_t> parse_int64(const std::string& text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace ez
