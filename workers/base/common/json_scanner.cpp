#include "common/json_scanner.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace ez {

namespace {

[[noreturn]] void fail_at(ErrorCode code, const std::string& path, const std::string& what) {
  throw Error(code, path + ": " + what, path);
}

}  // namespace

JsonScanner::JsonScanner(std::string_view text) : s_(text) {
  Json::CharReaderBuilder builder;
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  builder["strictRoot"] = false;  // members such as "version" are scalars
  builder["collectComments"] = false;
  builder["stackLimit"] = 64;
  reader_.reset(builder.newCharReader());
}

void JsonScanner::skip_ws() {
  while (pos_ < s_.size() &&
         (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
    ++pos_;
}
bool JsonScanner::at_end() {
  skip_ws();
  return pos_ >= s_.size();
}
char JsonScanner::peek() {
  skip_ws();
  return pos_ < s_.size() ? s_[pos_] : '\0';
}
void JsonScanner::expect(char c, const std::string& path) {
  if (peek() != c) bad(path, std::string("expected '") + c + "'");
  ++pos_;
}
// After a member or an element: true when another follows (',' consumed).
bool JsonScanner::next(char close, const std::string& path) {
  const char c = peek();
  if (c == ',') {
    ++pos_;
    return true;
  }
  if (c == close) {
    ++pos_;
    return false;
  }
  bad(path, std::string("expected ',' or '") + close + "'");
}
bool JsonScanner::consume_null() {
  if (peek() == 'n' && s_.substr(pos_, 4) == "null") {
    pos_ += 4;
    return true;
  }
  return false;
}

// A member name (a JSON string).
std::string JsonScanner::key(const std::string& path) {
  if (peek() != '"') bad(path, "expected a member name");
  const std::string_view raw = skip_string(path);
  Json::Value v = parse(raw, path);
  return v.asString();
}

// The raw text of the next value; its syntax is checked by parse().
std::string_view JsonScanner::value(const std::string& path) {
  skip_ws();
  const size_t start = pos_;
  if (pos_ >= s_.size()) bad(path, "unexpected end of the file");
  const char c = s_[pos_];
  if (c == '"') return skip_string(path);
  if (c == '{' || c == '[') {
    size_t depth = 0;
    while (pos_ < s_.size()) {
      const char d = s_[pos_];
      if (d == '"') {
        (void)skip_string(path);
        continue;
      }
      ++pos_;
      if (d == '{' || d == '[') ++depth;
      if ((d == '}' || d == ']') && --depth == 0) return s_.substr(start, pos_ - start);
    }
    pos_ = start;
    bad(path, "unterminated " + std::string(c == '{' ? "object" : "array"));
  }
  while (pos_ < s_.size() && !std::strchr(",}] \n\r\t", s_[pos_])) ++pos_;
  if (pos_ == start) bad(path, "expected a value");
  return s_.substr(start, pos_ - start);
}

Json::Value JsonScanner::parse(std::string_view raw, const std::string& path) {
  Json::Value v;
  std::string errors;
  bool ok = false;
  try {
    ok = reader_->parse(raw.data(), raw.data() + raw.size(), &v, &errors);
  } catch (const Json::Exception& e) {
    errors = e.what();
  }
  if (!ok) {
    // jsoncpp reports "* Line 1, Column 5\n  Syntax error..."; keep it on one line.
    std::replace(errors.begin(), errors.end(), '\n', ' ');
    fail_at(ErrorCode::bad_json, path, "not valid JSON (" + errors + ")");
  }
  return v;
}

void JsonScanner::bad(const std::string& path, const std::string& what) {
  fail_at(ErrorCode::bad_json, path.empty() ? "(root)" : path,
          what + " at byte " + std::to_string(pos_));
}

std::string_view JsonScanner::skip_string(const std::string& path) {
  const size_t start = pos_++;
  while (pos_ < s_.size()) {
    const char c = s_[pos_++];
    if (c == '\\')
      ++pos_;
    else if (c == '"')
      return s_.substr(start, pos_ - start);
  }
  pos_ = start;
  bad(path, "unterminated string");
}

}  // namespace ez
