// The full parser of POST /logs bodies (detail::parse_body_full in entry.h): jsoncpp builds
// the tree, every field is checked against its rule (entry_fields.h), and every refusal
// names the entry and the field. It takes every body the fast parser declines.
#include <json/reader.h>
#include <json/value.h>
#include <json/writer.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "common/json_text.h"
#include "logq/entry.h"
#include "logq/entry_fields.h"

namespace ez::logq {

namespace {

using Kind = EntryError::Kind;
using detail::FieldRule;
using detail::JsonType;

// A field name fit for an error message: hostile keys are shortened and made printable.
std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 64))
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  if (key.size() > 64) out += "...";
  return out;
}

std::string_view string_of(const Json::Value& v) {
  const char* b = nullptr;
  const char* e = nullptr;
  v.getString(&b, &e);
  return std::string_view(b, static_cast<size_t>(e - b));
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

  // A JSON integer (not a number with a fraction or an exponent) in min..max.
  int64_t integer(std::string_view field, const Json::Value& v, int64_t min, int64_t max) const {
    std::optional<int64_t> x;
    if (v.type() == Json::intValue)
      x = v.asInt64();
    else if (v.type() == Json::uintValue && v.asUInt64() <= uint64_t{INT64_MAX})
      x = static_cast<int64_t>(v.asUInt64());
    if (!x || *x < min || *x > max)
      invalid(field,
              "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return *x;
  }

  void check_string(std::string_view field, std::string_view s) const {
    if (s.find('\0') != std::string_view::npos) invalid(field, "must not contain NUL characters");
    if (!is_valid_utf8(s)) invalid(field, "must be valid UTF-8");
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
    uint32_t seen = 0;  // bit i: field_rules()[i] was given (not null)
    // Unknown fields (and extra's members) by name, sorted as jsoncpp sorts an object.
    std::map<std::string, const Json::Value*> extra;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const char* end = nullptr;
      const char* name_ptr = it.memberName(&end);
      const std::string_view name(name_ptr, static_cast<size_t>(end - name_ptr));
      const Json::Value& v = *it;
      const FieldRule* rule = detail::find_rule(name);
      if (!rule) {
        const std::string label = printable(name);
        check_string(label, name);
        check_extra(label, v);
        std::string key(name);
        if (extra.count(key)) invalid(label, "is also given inside extra");
        extra[key] = &v;
        continue;
      }
      if (v.isNull()) {  // null = absent
        if (rule->required) invalid(name, "is required", Kind::missing_field);
        continue;
      }
      seen |= 1u << detail::rule_index(*rule);
      if (rule->type == JsonType::object)
        merge_extra(name, v, extra);
      else
        value(*rule, v, e);
    }
    if (const uint32_t missing = detail::required_mask() & ~seen) {
      const auto rules = detail::field_rules();
      for (size_t i = 0; i < rules.size(); ++i)
        if (missing & (1u << i)) invalid(rules[i].name, "is required", Kind::missing_field);
    }
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

  // One field, checked against its rule, into its slot.
  void value(const FieldRule& rule, const Json::Value& v, LogEntry& e) const {
    const std::string_view name = rule.name;
    switch (rule.type) {
      case JsonType::string: {
        if (!v.isString()) invalid(name, "must be a string");
        const std::string_view s = string_of(v);
        const auto max = static_cast<size_t>(rule.max);
        if (rule.repair) {  // upstream text: mended, never refused
          detail::store(e, rule, sanitize_utf8(s, max));
          return;
        }
        if (s.size() > max) invalid(name, "must be at most " + std::to_string(max) + " bytes");
        check_string(name, s);
        if (s.size() < static_cast<size_t>(rule.min))
          invalid(name, rule.min == 1 ? std::string("must not be empty")
                                      : "must be at least " + std::to_string(rule.min) + " bytes");
        detail::store(e, rule, std::string(s));
        return;
      }
      case JsonType::integer:
        detail::store(e, rule, integer(name, v, rule.min, rule.max));
        return;
      case JsonType::time:
        if (v.isString()) {
          const auto us = parse_entry_time_us(string_of(v));
          if (!us) invalid(name, "must be an RFC 3339 time (1970..9999) or unix milliseconds");
          detail::store(e, rule, *us);
        } else {
          const int64_t ms = integer(name, v, 0, std::numeric_limits<int64_t>::max());
          if (ms > rule.max) invalid(name, "is beyond the year 9999");
          detail::store(e, rule, ms * 1000);
        }
        return;
      case JsonType::number: {
        if (!v.isNumeric() || v.isBool()) invalid(name, "must be a number");
        const double c = v.asDouble();
        if (!std::isfinite(c) || c < static_cast<double>(rule.min) ||
            c > static_cast<double>(rule.max))
          invalid(name, "must be a number from " + std::to_string(rule.min) + " to " +
                            std::to_string(rule.max));
        detail::store(e, rule, c);
        return;
      }
      case JsonType::boolean:
        if (!v.isBool()) invalid(name, "must be true or false");
        detail::store(e, rule, v.asBool());
        return;
      case JsonType::object:  // handled by merge_extra
        return;
    }
  }

  // extra: its members join the unknown fields (one key may not come both ways).
  void merge_extra(std::string_view name, const Json::Value& v,
                   std::map<std::string, const Json::Value*>& extra) const {
    if (!v.isObject()) invalid(name, "must be an object");
    for (auto x = v.begin(); x != v.end(); ++x) {
      const std::string key = x.name();
      const std::string label = "extra." + printable(key);
      if (extra.count(key)) invalid(label, "is also given as a top-level field");
      check_string(label, key);
      check_extra(label, *x);
      extra[key] = &*x;
    }
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

// True when `body` is a JSON array with more than `limit` top-level elements, counted as
// top-level commas + 1 (so a trailing comma counts: "[a,]" has 2). It stops at the comma
// that starts element limit + 1 and does not validate anything: a huge body over the limit
// costs a fast scan of its first `limit` elements, not a JSON tree of all of it (the flood of
// 8 MB bodies cost a worker 0.5 s each before its 413).
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
  auto too_many = [&] { detail::throw_too_many(options.max_entries); };
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

}  // namespace ez::logq
