// The fast parser of POST /logs bodies (detail::parse_body_fast in entry.h): one pass over
// plain JSON text straight into LogEntry, no JSON tree. It reads the same field rules as the
// full parser (entry_fields.h) and declines whatever it cannot take, so that one decides.
#include <charconv>
#include <cmath>

#include "logq/entry.h"
#include "logq/entry_fields.h"

namespace ez::logq {

namespace {

using detail::FieldRule;
using detail::JsonType;

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
      const FieldRule* rule = detail::find_rule(key);
      if (!rule) return false;  // unknown field: goes to extra
      const uint32_t bit = 1u << detail::rule_index(*rule);
      if (seen & bit) return false;  // a duplicate (null included): the full parser refuses it
      seen |= bit;
      ws();
      if (!eat(':')) return false;
      ws();
      if (!value(*rule, e)) return false;
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      if (eat('}')) break;
      return false;
    }
    const uint32_t required = detail::required_mask();
    return (seen & required) == required;
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

  // A JSON number >= 0 that is a normal double (or zero).
  bool number(double& out) {
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

  // One field's value, checked against its rule, into its slot. False: not for the fast
  // path (a wrong value included).
  bool value(const FieldRule& rule, LogEntry& e) {
    if (literal("null")) return !rule.required;  // null: absent
    switch (rule.type) {
      case JsonType::string: {
        std::string_view v;
        if (!str(v)) return false;
        if (rule.repair) {
          detail::store(e, rule, sanitize_utf8(v, static_cast<size_t>(rule.max)));
          return true;
        }
        if (v.size() < static_cast<size_t>(rule.min) || v.size() > static_cast<size_t>(rule.max) ||
            !is_valid_utf8(v))
          return false;
        detail::store(e, rule, std::string(v));
        return true;
      }
      case JsonType::integer: {
        int64_t v = 0;
        if (!non_negative(v) || v < rule.min || v > rule.max) return false;
        detail::store(e, rule, v);
        return true;
      }
      case JsonType::time: {
        if (at('"')) {
          std::string_view v;
          if (!str(v)) return false;
          const auto us = parse_entry_time_us(v);
          if (!us) return false;
          detail::store(e, rule, *us);
          return true;
        }
        int64_t ms = 0;
        if (!non_negative(ms) || ms > rule.max) return false;
        detail::store(e, rule, ms * 1000);
        return true;
      }
      case JsonType::number: {
        double v = 0;
        if (!number(v) || v < static_cast<double>(rule.min) || v > static_cast<double>(rule.max))
          return false;
        detail::store(e, rule, v);
        return true;
      }
      case JsonType::boolean:
        if (literal("true"))
          detail::store(e, rule, true);
        else if (literal("false"))
          detail::store(e, rule, false);
        else
          return false;
        return true;
      case JsonType::object:  // merged with unknown fields: the full parser's work
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
      if (out.size() >= options.max_entries) detail::throw_too_many(options.max_entries);
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
        if (out.size() >= options.max_entries)
          detail::throw_too_many(options.max_entries);  // as above
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

}  // namespace ez::logq
