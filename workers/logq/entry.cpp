#include "logq/entry.h"

#include <algorithm>

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
// Parsing: the fast parser (entry_fast.cpp) first, the full one (entry_full.cpp) for whatever
// it declines; both read the field rules in entry_fields.cpp. Encoding: entry_encoding.cpp.
// ---------------------------------------------------------------------------------------------

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

}  // namespace ez::logq
