#include "logq/entry.h"

#include <json/reader.h>
#include <json/value.h>
#include <json/writer.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "common/json_text.h"

namespace ez::logq {

EntryError::EntryError(Kind kind, long index, std::string field, const std::string& message)
    : std::runtime_error(message), kind_(kind), index_(index), field_(std::move(field)) {}

// ---------------------------------------------------------------------------------------------
// UTF-8
// ---------------------------------------------------------------------------------------------

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (overlong forms, surrogates and
// code points above U+10FFFF are invalid, as PostgreSQL's UTF8 encoding requires).
size_t utf8_seq_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_seq_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_seq_len(s, i);
    std::string_view piece;
    if (n == 0 || s[i] == '\0') {
      piece = kReplacement;
      n = n == 0 ? 1 : n;
    } else {
      piece = s.substr(i, n);
    }
    if (out.size() + piece.size() > max_bytes) break;  // whole characters only
    out.append(piece);
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------

namespace {

constexpr int64_t kMaxUnixMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> parse_rfc3339_us(std::string_view s) {
  // YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM)
  auto num = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year, mon, day, hour, min, sec;
  if (!num(0, 4, year) || s.size() < 20 || s[4] != '-' || !num(5, 2, mon) || s[7] != '-' ||
      !num(8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, hour) ||
      s[13] != ':' || !num(14, 2, min) || s[16] != ':' || !num(17, 2, sec))
    return std::nullopt;
  size_t pos = 19;
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) frac_us = frac_us * 10 + (s[pos] - '0');  // beyond microseconds: cut
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t k = digits; k < 6; ++k) frac_us *= 10;
  }
  if (pos >= s.size()) return std::nullopt;  // the offset is not optional in RFC 3339
  int offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!num(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !num(pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > static_cast<int>(days_in_month(year, mon)) ||
      hour > 23 || min > 59 || sec > 60)  // 60: a leap second, counted into the next minute
    return std::nullopt;
  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const int64_t secs = ((days * 24 + hour) * 60 + min) * 60 + sec - int64_t{offset_min} * 60;
  const int64_t us = secs * 1000000 + frac_us;
  if (us < 0 || us > kMaxUnixMs * 1000 + 999) return std::nullopt;
  return us;
}

std::string format_timestamp_us(int64_t us) {
  int64_t days = us / 86400000000;
  int64_t rem = us % 86400000000;
  if (rem < 0) {
    rem += 86400000000;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int64_t secs = rem / 1000000;
  // By hand, not snprintf: this runs twice per entry on the workers' hot path.
  char buf[] = "0000-00-00 00:00:00.000000+00";
  auto put = [&](size_t at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      buf[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, secs / 3600, 2);
  put(14, secs / 60 % 60, 2);
  put(17, secs % 60, 2);
  put(20, rem % 1000000, 6);
  return std::string(buf, sizeof buf - 1);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

namespace {

using Kind = EntryError::Kind;

enum class Field {
  request_id,
  timestamp,
  master_id,
  key_id,
  provider_id,
  ns,
  model,
  upstream_model,
  provider_type,
  route_group,
  client_ip,
  error_type,
  status_code,
  latency_ms,
  ttft_ms,
  prompt_tokens,
  completion_tokens,
  total_tokens,
  cost,
  stream,
  error_message,
  extra,
};

const std::unordered_map<std::string_view, Field>& field_table() {
  static const std::unordered_map<std::string_view, Field> table = {
      {"request_id", Field::request_id},
      {"timestamp", Field::timestamp},
      {"master_id", Field::master_id},
      {"key_id", Field::key_id},
      {"provider_id", Field::provider_id},
      {"namespace", Field::ns},
      {"model", Field::model},
      {"upstream_model", Field::upstream_model},
      {"provider_type", Field::provider_type},
      {"route_group", Field::route_group},
      {"client_ip", Field::client_ip},
      {"error_type", Field::error_type},
      {"status_code", Field::status_code},
      {"latency_ms", Field::latency_ms},
      {"ttft_ms", Field::ttft_ms},
      {"prompt_tokens", Field::prompt_tokens},
      {"completion_tokens", Field::completion_tokens},
      {"total_tokens", Field::total_tokens},
      {"cost", Field::cost},
      {"stream", Field::stream},
      {"error_message", Field::error_message},
      {"extra", Field::extra},
  };
  return table;
}

// A field name fit for an error message: hostile keys are shortened and made printable.
std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 64))
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  if (key.size() > 64) out += "...";
  return out;
}

class EntryParser {
 public:
  // `source`: the text the values were parsed from (their offsets point into it).
  EntryParser(long index, int64_t arrival_us, std::string_view source)
      : index_(index), arrival_us_(arrival_us), source_(source) {}

  [[noreturn]] void invalid(std::string_view field, const std::string& why,
                            Kind kind = Kind::invalid_field) const {
    std::string msg = "entry " + std::to_string(index_) + ": ";
    if (!field.empty()) msg += std::string(field) + " ";
    throw EntryError(kind, index_, std::string(field), msg + why);
  }

  int64_t non_negative(std::string_view field, const Json::Value& v) const {
    if (v.type() == Json::intValue && v.asInt64() >= 0) return v.asInt64();
    if (v.type() == Json::uintValue && v.asUInt64() <= uint64_t{INT64_MAX})
      return static_cast<int64_t>(v.asUInt64());
    invalid(field, "must be an integer from 0 to 9223372036854775807");
  }

  std::string text(std::string_view field, const Json::Value& v, size_t max_bytes) const {
    if (!v.isString()) invalid(field, "must be a string");
    const char* b = nullptr;
    const char* e = nullptr;
    v.getString(&b, &e);
    std::string_view s(b, static_cast<size_t>(e - b));
    if (s.size() > max_bytes)
      invalid(field, "must be at most " + std::to_string(max_bytes) + " bytes");
    check_string(field, s);
    return std::string(s);
  }

  void check_string(std::string_view field, std::string_view s) const {
    if (s.find('\0') != std::string_view::npos) invalid(field, "must not contain NUL characters");
    if (!valid_utf8(s)) invalid(field, "must be valid UTF-8");
  }

  // Unknown fields end up in jsonb: same string rules, recursively (keys too).
  void check_extra(const std::string& field, const Json::Value& v) const {
    if (v.isString()) {
      const char* b = nullptr;
      const char* e = nullptr;
      v.getString(&b, &e);
      check_string(field, std::string_view(b, static_cast<size_t>(e - b)));
    } else if (v.isArray()) {
      for (const auto& item : v) check_extra(field, item);
    } else if (v.isObject()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        const char* end = nullptr;
        const char* name = it.memberName(&end);
        check_string(field, std::string_view(name, static_cast<size_t>(end - name)));
        check_extra(field, *it);
      }
    } else if (v.isDouble() && !std::isfinite(v.asDouble())) {
      invalid(field, "must be a finite number");
    }
  }

  LogEntry parse(const Json::Value& obj) {
    if (!obj.isObject()) invalid("", "must be a JSON object", Kind::invalid_field);
    LogEntry e;
    e.received_us = arrival_us_;
    e.ts_us = arrival_us_;
    bool have_request_id = false;
    // Unknown fields (and extra's members) by name, sorted as jsoncpp sorts an object.
    std::map<std::string, const Json::Value*> extra;
    const auto& table = field_table();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const char* end = nullptr;
      const char* name_ptr = it.memberName(&end);
      const std::string_view name(name_ptr, static_cast<size_t>(end - name_ptr));
      const Json::Value& v = *it;
      const auto found = table.find(name);
      if (found == table.end()) {
        const std::string label = printable(name);
        check_string(label, name);
        check_extra(label, v);
        std::string key(name);
        if (extra.count(key)) invalid(label, "is also given inside extra");
        extra[key] = &v;
        continue;
      }
      if (v.isNull() && found->second != Field::request_id) continue;  // null = absent
      switch (found->second) {
        case Field::request_id:
          if (v.isNull()) invalid(name, "is required", Kind::missing_field);
          e.request_id = text(name, v, kMaxRequestIdBytes);
          if (e.request_id.empty()) invalid(name, "must not be empty");
          have_request_id = true;
          break;
        case Field::timestamp:
          if (v.isString()) {
            const auto us = parse_rfc3339_us(v.asString());
            if (!us) invalid(name, "must be an RFC 3339 time (1970..9999) or unix milliseconds");
            e.ts_us = *us;
          } else {
            const int64_t ms = non_negative(name, v);
            if (ms > kMaxUnixMs) invalid(name, "is beyond the year 9999");
            e.ts_us = ms * 1000;
          }
          break;
        case Field::master_id:
          e.master_id = non_negative(name, v);
          break;
        case Field::key_id:
          e.key_id = non_negative(name, v);
          break;
        case Field::provider_id:
          e.provider_id = non_negative(name, v);
          break;
        case Field::ns:
          e.ns = text(name, v, kMaxTextBytes);
          break;
        case Field::model:
          e.model = text(name, v, kMaxTextBytes);
          break;
        case Field::upstream_model:
          e.upstream_model = text(name, v, kMaxTextBytes);
          break;
        case Field::provider_type:
          e.provider_type = text(name, v, kMaxTextBytes);
          break;
        case Field::route_group:
          e.route_group = text(name, v, kMaxTextBytes);
          break;
        case Field::client_ip:
          e.client_ip = text(name, v, kMaxTextBytes);
          break;
        case Field::error_type:
          e.error_type = text(name, v, kMaxTextBytes);
          break;
        case Field::status_code: {
          const bool integer = v.type() == Json::intValue || v.type() == Json::uintValue;
          if (!integer || !v.isInt() || v.asInt() < 100 || v.asInt() > 599)
            invalid(name, "must be an integer from 100 to 599");
          e.status_code = v.asInt();
          break;
        }
        case Field::latency_ms:
          e.latency_ms = non_negative(name, v);
          break;
        case Field::ttft_ms:
          e.ttft_ms = non_negative(name, v);
          break;
        case Field::prompt_tokens:
          e.prompt_tokens = non_negative(name, v);
          break;
        case Field::completion_tokens:
          e.completion_tokens = non_negative(name, v);
          break;
        case Field::total_tokens:
          e.total_tokens = non_negative(name, v);
          break;
        case Field::cost: {
          if (!v.isNumeric() || v.isBool()) invalid(name, "must be a number");
          const double c = v.asDouble();
          if (!std::isfinite(c) || c < 0) invalid(name, "must be a finite number >= 0");
          e.cost = c;
          break;
        }
        case Field::stream:
          if (!v.isBool()) invalid(name, "must be true or false");
          e.stream = v.asBool();
          break;
        case Field::error_message: {
          if (!v.isString()) invalid(name, "must be a string");
          const char* b = nullptr;
          const char* x = nullptr;
          v.getString(&b, &x);
          e.error_message =
              sanitize_utf8(std::string_view(b, static_cast<size_t>(x - b)), kMaxErrorMessageBytes);
          break;
        }
        case Field::extra:
          if (!v.isObject()) invalid(name, "must be an object");
          for (auto x = v.begin(); x != v.end(); ++x) {
            const std::string key = x.name();
            const std::string label = "extra." + printable(key);
            if (extra.count(key)) invalid(label, "is also given as a top-level field");
            check_string(label, key);
            check_extra(label, *x);
            extra[key] = &*x;
          }
          break;
      }
    }
    if (!have_request_id) invalid("request_id", "is required", Kind::missing_field);
    if (!extra.empty()) {
      std::string& out = e.extra_json.emplace();
      out += '{';
      for (const auto& [key, value] : extra) {
        if (out.size() > 1) out += ',';
        out += Json::writeString(writer_builder(), Json::Value(key));
        out += ':';
        write_verbatim(*value, out);
      }
      out += '}';
      if (e.extra_json->size() > kMaxExtraBytes)
        invalid("extra", "(unknown fields together) must be at most " +
                             std::to_string(kMaxExtraBytes) + " bytes of JSON");
    }
    return e;
  }

 private:
  // Compact JSON of `v`, numbers as the client wrote them: jsoncpp holds a number
  // as int64, uint64 or double, so 123456789012345678901234567890 would come out
  // rounded; jsonb (numeric) keeps every digit of the original text.
  void write_verbatim(const Json::Value& v, std::string& out) const {
    if (v.isObject()) {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        out += Json::writeString(writer_builder(), Json::Value(it.name()));
        out += ':';
        write_verbatim(*it, out);
      }
      out += '}';
    } else if (v.isArray()) {
      out += '[';
      for (Json::ArrayIndex i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        write_verbatim(v[i], out);
      }
      out += ']';
    } else if (v.isNumeric() && !v.isBool() && v.getOffsetStart() >= 0 &&
               v.getOffsetLimit() > v.getOffsetStart() &&
               static_cast<size_t>(v.getOffsetLimit()) <= source_.size()) {
      out += source_.substr(static_cast<size_t>(v.getOffsetStart()),
                            static_cast<size_t>(v.getOffsetLimit() - v.getOffsetStart()));
    } else {
      out += Json::writeString(writer_builder(), v);
    }
  }

  static const Json::StreamWriterBuilder& writer_builder() {
    static const Json::StreamWriterBuilder builder = [] {
      Json::StreamWriterBuilder b;
      b["indentation"] = "";
      b["emitUTF8"] = true;  // we checked the UTF-8; keep it readable in the table
      return b;
    }();
    return builder;
  }

  long index_;
  int64_t arrival_us_;
  std::string_view source_;
};

Json::CharReader& json_reader() {
  // One reader per thread, built once: workers parse on every request.
  thread_local std::unique_ptr<Json::CharReader> reader = [] {
    Json::CharReaderBuilder b;
    Json::CharReaderBuilder::strictMode(&b.settings_);
    b["collectComments"] = false;
    b["stackLimit"] = 32;
    b["allowSpecialFloats"] = false;
    b["skipBom"] = false;
    return std::unique_ptr<Json::CharReader>(b.newCharReader());
  }();
  return *reader;
}

void parse_json(std::string_view text, Json::Value& out, long index, const std::string& where) {
  if (const auto at = find_json_comment(text))
    throw EntryError(
        Kind::bad_json, index, "",
        where + "invalid JSON: comments are not allowed (offset " + std::to_string(*at) + ")");
  std::string errors;
  bool ok = false;
  try {
    ok = json_reader().parse(text.data(), text.data() + text.size(), &out, &errors);
  } catch (const Json::Exception& e) {  // thrown instead of failing when nesting is too deep
    errors = e.what();
  }
  if (!ok) {
    const auto nl = errors.find('\n', errors.find('\n') + 1);
    throw EntryError(Kind::bad_json, index, "", where + "invalid JSON: " + errors.substr(0, nl));
  }
}

[[noreturn]] void throw_too_many(size_t max_entries) {
  throw EntryError(Kind::too_many, -1, "",
                   "more than " + std::to_string(max_entries) + " entries in one request");
}

// True when `body` is a JSON array with more than `limit` top-level elements, counted as
// top-level commas + 1 (so a trailing comma counts: "[a,]" has 2). It stops at the comma
// that starts element limit + 1 and does not validate anything: a huge body over the limit
// costs a fast scan of its first `limit` elements, not a JSON tree of all of it (the flood of
// 8 MB bodies in issue 14 cost a worker 0.5 s each before its 413).
bool more_elements_than(std::string_view body, size_t limit) {
  size_t p = body.find_first_not_of(" \t\r\n");
  if (p == std::string_view::npos || body[p] != '[') return false;
  size_t depth = 0, commas = 0;
  for (; p < body.size(); ++p) {
    switch (body[p]) {
      case '"':  // skip the string, escapes included
        for (++p; p < body.size() && body[p] != '"'; ++p)
          if (body[p] == '\\') ++p;
        break;
      case '[':
      case '{':
        ++depth;
        break;
      case ']':
      case '}':
        if (depth <= 1) return false;  // the array ended (or the body is broken)
        --depth;
        break;
      case ',':
        if (depth == 1 && ++commas >= limit) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

namespace detail {

void parse_body_full(std::string_view body, const ParseOptions& options,
                     std::vector<LogEntry>& entries) {
  entries.clear();
  auto too_many = [&] { throw_too_many(options.max_entries); };
  if (options.ndjson) {
    long index = 0;
    size_t line_no = 0;
    for (size_t start = 0; start < body.size();) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(start, end - start);
      start = end + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
      if (entries.size() >= options.max_entries) too_many();
      Json::Value v;
      parse_json(line, v, index,
                 "entry " + std::to_string(index) + " (line " + std::to_string(line_no) + "): ");
      entries.push_back(EntryParser(index, options.arrival_us, line).parse(v));
      ++index;
    }
    if (entries.empty())
      throw EntryError(Kind::bad_json, -1, "", "request body has no NDJSON lines");
    return;
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw EntryError(Kind::bad_json, -1, "",
                     "request body is empty; expected a JSON object, "
                     "an array of objects, or NDJSON");
  // Count before building the tree (a body shorter than the limit cannot exceed it).
  if (body.size() > options.max_entries && more_elements_than(body, options.max_entries))
    too_many();
  Json::Value root;
  parse_json(body, root, -1, "");
  if (root.isObject()) {
    entries.push_back(EntryParser(0, options.arrival_us, body).parse(root));
  } else if (root.isArray()) {
    if (root.size() > options.max_entries) too_many();
    entries.reserve(root.size());
    for (Json::ArrayIndex i = 0; i < root.size(); ++i)
      entries.push_back(EntryParser(static_cast<long>(i), options.arrival_us, body).parse(root[i]));
  } else {
    throw EntryError(Kind::bad_json, -1, "",
                     "expected a JSON object, an array of objects, or NDJSON");
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Fast path (see detail::parse_body_fast in entry.h)
// ---------------------------------------------------------------------------------------------

namespace {

// A single pass over plain JSON, straight into LogEntry. Every `return false` means "not a
// body for the fast path", never "invalid": the full parser then decides, and explains.
class FastParser {
 public:
  FastParser(std::string_view text, int64_t arrival_us) : s_(text), arrival_us_(arrival_us) {}

  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r'))
      ++p_;
  }
  bool eat(char c) {
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool at(char c) const { return p_ < s_.size() && s_[p_] == c; }
  [[nodiscard]] bool at_end() const { return p_ == s_.size(); }

  // {"key": value, ...} with known, distinct keys and request_id present.
  bool object(LogEntry& e) {
    e.ts_us = e.received_us = arrival_us_;
    ws();
    if (!eat('{')) return false;
    ws();
    uint32_t seen = 0;
    for (;;) {
      std::string_view key;
      if (!str(key)) return false;  // also "{}": no request_id, let the full parser say so
      const auto found = field_table().find(key);
      if (found == field_table().end()) return false;  // unknown field: goes to extra
      const uint32_t bit = 1u << static_cast<unsigned>(found->second);
      if (seen & bit) return false;
      seen |= bit;
      ws();
      if (!eat(':')) return false;
      ws();
      if (!value(found->second, e)) return false;
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      if (eat('}')) break;
      return false;
    }
    return (seen & (1u << static_cast<unsigned>(Field::request_id))) != 0;
  }

 private:
  // A string without escapes or control characters; `out` views the input.
  bool str(std::string_view& out) {
    if (!eat('"')) return false;
    const size_t start = p_;
    for (; p_ < s_.size(); ++p_) {
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        out = s_.substr(start, p_ - start);
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
    }
    return false;
  }

  bool text(std::optional<std::string>& out, size_t max_bytes) {
    std::string_view v;
    if (!str(v) || v.size() > max_bytes || !valid_utf8(v)) return false;
    out.emplace(v);
    return true;
  }

  // 0 .. INT64_MAX, plain digits (no sign, fraction, exponent or leading zero).
  bool non_negative(int64_t& out) {
    const size_t start = p_;
    uint64_t v = 0;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') {
      const auto d = static_cast<uint64_t>(s_[p_] - '0');
      if (v > (uint64_t{INT64_MAX} - d) / 10) return false;
      v = v * 10 + d;
      ++p_;
    }
    const size_t len = p_ - start;
    if (len == 0 || (len > 1 && s_[start] == '0')) return false;
    if (at('.') || at('e') || at('E')) return false;
    out = static_cast<int64_t>(v);
    return true;
  }

  bool optional_int(std::optional<int64_t>& out) {
    int64_t v = 0;
    if (!non_negative(v)) return false;
    out = v;
    return true;
  }

  // A JSON number >= 0 that is a normal double (or zero).
  bool cost(std::optional<double>& out) {
    const size_t start = p_;
    auto digits = [&] {
      const size_t d = p_;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
      return p_ - d;
    };
    const size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && s_[start] == '0')) return false;
    if (eat('.') && digits() == 0) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (digits() == 0) return false;
    }
    double v = 0;
    const auto r = std::from_chars(s_.data() + start, s_.data() + p_, v);
    if (r.ec != std::errc() || r.ptr != s_.data() + p_ || !std::isfinite(v)) return false;
    if (v != 0 && std::fpclassify(v) != FP_NORMAL) return false;
    out = v;
    return true;
  }

  bool literal(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool value(Field f, LogEntry& e) {
    if (literal("null")) return f != Field::request_id;  // null: absent
    std::string_view v;
    switch (f) {
      case Field::request_id:
        if (!str(v) || v.empty() || v.size() > kMaxRequestIdBytes || !valid_utf8(v)) return false;
        e.request_id.assign(v);
        return true;
      case Field::timestamp: {
        if (at('"')) {
          if (!str(v)) return false;
          const auto us = parse_rfc3339_us(v);
          if (!us) return false;
          e.ts_us = *us;
          return true;
        }
        int64_t ms = 0;
        if (!non_negative(ms) || ms > kMaxUnixMs) return false;
        e.ts_us = ms * 1000;
        return true;
      }
      case Field::master_id:
        return optional_int(e.master_id);
      case Field::key_id:
        return optional_int(e.key_id);
      case Field::provider_id:
        return optional_int(e.provider_id);
      case Field::latency_ms:
        return optional_int(e.latency_ms);
      case Field::ttft_ms:
        return optional_int(e.ttft_ms);
      case Field::prompt_tokens:
        return optional_int(e.prompt_tokens);
      case Field::completion_tokens:
        return optional_int(e.completion_tokens);
      case Field::total_tokens:
        return optional_int(e.total_tokens);
      case Field::status_code: {
        int64_t code = 0;
        if (!non_negative(code) || code < 100 || code > 599) return false;
        e.status_code = static_cast<int>(code);
        return true;
      }
      case Field::ns:
        return text(e.ns, kMaxTextBytes);
      case Field::model:
        return text(e.model, kMaxTextBytes);
      case Field::upstream_model:
        return text(e.upstream_model, kMaxTextBytes);
      case Field::provider_type:
        return text(e.provider_type, kMaxTextBytes);
      case Field::route_group:
        return text(e.route_group, kMaxTextBytes);
      case Field::client_ip:
        return text(e.client_ip, kMaxTextBytes);
      case Field::error_type:
        return text(e.error_type, kMaxTextBytes);
      case Field::cost:
        return cost(e.cost);
      case Field::stream:
        if (literal("true"))
          e.stream = true;
        else if (literal("false"))
          e.stream = false;
        else
          return false;
        return true;
      case Field::error_message:
        if (!str(v)) return false;
        e.error_message = sanitize_utf8(v, kMaxErrorMessageBytes);
        return true;
      case Field::extra:
        return false;
    }
    return false;
  }

  std::string_view s_;
  size_t p_ = 0;
  int64_t arrival_us_;
};

}  // namespace

namespace detail {

bool parse_body_fast(std::string_view body, const ParseOptions& options,
                     std::vector<LogEntry>& out) {
  out.clear();
  if (options.ndjson) {
    // Lines split exactly as parse_body_full splits them.
    for (size_t start = 0; start < body.size();) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      const std::string_view line = body.substr(start, end - start);
      start = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      // Another entry past the limit after max_entries good ones: the full parser would
      // refuse with too_many as well, so stop here instead of handing it the whole body.
      if (out.size() >= options.max_entries) throw_too_many(options.max_entries);
      FastParser p(line, options.arrival_us);
      if (!p.object(out.emplace_back())) return false;
      p.ws();
      if (!p.at_end()) return false;
    }
    return !out.empty();
  }
  FastParser p(body, options.arrival_us);
  p.ws();
  if (p.at('{')) {
    if (!p.object(out.emplace_back())) return false;
  } else if (p.eat('[')) {
    p.ws();
    if (!p.eat(']')) {
      for (;;) {
        if (out.size() >= options.max_entries) throw_too_many(options.max_entries);  // as above
        if (!p.object(out.emplace_back())) return false;
        p.ws();
        if (p.eat(',')) continue;
        if (p.eat(']')) break;
        return false;
      }
    }
  } else {
    return false;
  }
  p.ws();
  return p.at_end();
}

}  // namespace detail

int64_t oldest_kept_us(int64_t now_us, int retention_days) {
  constexpr int64_t kDayUs = int64_t{86400} * 1'000'000;
  const int64_t today = (now_us >= 0 ? now_us : now_us - kDayUs + 1) / kDayUs * kDayUs;
  return today - int64_t{retention_days} * kDayUs;
}

void parse_body(std::string_view body, const ParseOptions& options, std::vector<LogEntry>& out) {
  if (!detail::parse_body_fast(body, options, out)) detail::parse_body_full(body, options, out);
  if (options.retention_days <= 0) return;
  // "Accepted" must mean "kept for the retention period": an entry the next retention
  // pass would drop is refused here instead of vanishing later.
  const int64_t oldest = oldest_kept_us(options.arrival_us, options.retention_days);
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].ts_us < oldest)
      throw EntryError(EntryError::Kind::invalid_field, static_cast<long>(i), "timestamp",
                       "entry " + std::to_string(i) + ": timestamp " +
                           format_timestamp_us(out[i].ts_us) +
                           " is older than the log retention "
                           "window (log.retention_days = " +
                           std::to_string(options.retention_days) + ": entries from " +
                           format_timestamp_us(oldest) + " on are kept)");
}

std::vector<LogEntry> parse_body(std::string_view body, const ParseOptions& options) {
  std::vector<LogEntry> out;
  parse_body(body, options, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Queue encoding
// ---------------------------------------------------------------------------------------------

namespace {

constexpr uint32_t kNull = 0xFFFFFFFF;

void put_field(std::string& out, std::string_view value) {
  const auto len = static_cast<uint32_t>(value.size());
  out.append(reinterpret_cast<const char*>(&len), 4);
  out.append(value);
}
void put_null(std::string& out) {
  out.append(reinterpret_cast<const char*>(&kNull), 4);
}

void put_int(std::string& out, const std::optional<int64_t>& v) {
  if (!v) return put_null(out);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, *v);
  put_field(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}
void put_text(std::string& out, const std::optional<std::string>& v) {
  if (!v) return put_null(out);
  put_field(out, *v);
}

}  // namespace

void encode(const LogEntry& e, std::string& out) {
  out.clear();
  encode_append(e, out);
}

void encode_append(const LogEntry& e, std::string& out) {
  put_field(out, format_timestamp_us(e.ts_us));
  put_field(out, format_timestamp_us(e.received_us));
  put_field(out, e.request_id);
  put_int(out, e.master_id);
  put_int(out, e.key_id);
  put_text(out, e.ns);
  put_text(out, e.model);
  put_text(out, e.upstream_model);
  put_int(out, e.provider_id);
  put_text(out, e.provider_type);
  put_text(out, e.route_group);
  put_int(out, e.status_code ? std::optional<int64_t>(*e.status_code) : std::nullopt);
  put_int(out, e.latency_ms);
  put_int(out, e.ttft_ms);
  put_int(out, e.prompt_tokens);
  put_int(out, e.completion_tokens);
  put_int(out, e.total_tokens);
  if (e.cost) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, *e.cost);  // shortest exact round-trip
    put_field(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  } else {
    put_null(out);
  }
  put_text(out, e.client_ip);
  if (e.stream)
    put_field(out, *e.stream ? "t" : "f");
  else
    put_null(out);
  put_text(out, e.error_type);
  put_text(out, e.error_message);
  put_text(out, e.extra_json);
}

std::string encode(const LogEntry& e) {
  std::string out;
  encode(e, out);
  return out;
}

bool decode(std::string_view data, EncodedFields& out) {
  size_t pos = 0;
  for (auto& field : out) {
    if (data.size() - pos < 4) return false;
    uint32_t len = 0;
    std::memcpy(&len, data.data() + pos, 4);
    pos += 4;
    if (len == kNull) {
      field.reset();
      continue;
    }
    if (data.size() - pos < len) return false;
    field = data.substr(pos, len);
    pos += len;
  }
  return pos == data.size();
}

}  // namespace ez::logq
