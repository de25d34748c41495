#include "common/json_text.h"

#include <json/writer.h>

#include <cctype>
#include <charconv>
#include <cstring>

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

namespace {

// jsoncpp prints doubles with 17 significant digits (0.0000025 -> 2.5000000000000002e-06).
// Rewrite each non-integer number token outside strings in its shortest round-trip form:
// the same double, the digits a person wrote.
void shorten_doubles(std::string& text) {
  std::string out;
  bool in_string = false, changed = false;
  size_t copied = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    size_t end = i;
    bool is_double = false;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                                 std::strchr("+-.eE", text[end]))) {
      if (std::strchr(".eE", text[end])) is_double = true;
      ++end;
    }
    if (is_double) {
      double d = 0;
      const auto parsed = std::from_chars(text.data() + i, text.data() + end, d);
      char buf[40];
      const auto printed = std::to_chars(buf, buf + sizeof buf, d);
      if (parsed.ec == std::errc() && parsed.ptr == text.data() + end &&
          printed.ec == std::errc()) {
        if (!changed) out.reserve(text.size());
        changed = true;
        out.append(text, copied, i - copied);
        out.append(buf, printed.ptr);
        copied = end;
      }
    }
    i = end - 1;
  }
  if (!changed) return;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

}  // namespace

std::string to_json(const Json::Value& value) {
  // One builder per process: building it is not free and it is not mutated.
  static const Json::StreamWriterBuilder builder = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["emitUTF8"] = true;
    return b;
  }();
  std::string text = Json::writeString(builder, value);
  shorten_doubles(text);
  return text;
}

std::optional<int64_t> parse_int64(const std::string& text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace ez
