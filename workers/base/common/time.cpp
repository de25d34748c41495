#include "common/time.h"

#include <time.h>

namespace ez {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms): plain
// integer arithmetic, no time zone database, valid for the whole year 1..9999 range.
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

constexpr int64_t kUsPerDay = 86'400'000'000;
// [0001-01-01T00:00:00Z, 10000-01-01T00:00:00Z) in unix microseconds.
const int64_t kFirstUs = days_from_civil(1, 1, 1) * kUsPerDay;
const int64_t kEndUs = days_from_civil(10000, 1, 1) * kUsPerDay;

struct Civil {
  int64_t year;
  unsigned month, day;
  int64_t second_of_day;  // 0..86399
  int64_t micros;         // 0..999999
};

Civil civil(int64_t us) {
  int64_t days = us / kUsPerDay;
  int64_t rem = us % kUsPerDay;
  if (rem < 0) {  // floor, not truncation, before 1970
    rem += kUsPerDay;
    --days;
  }
  Civil c{};
  civil_from_days(days, c.year, c.month, c.day);
  c.second_of_day = rem / 1'000'000;
  c.micros = rem % 1'000'000;
  return c;
}

void put(char* buf, size_t at, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10)
    buf[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DD?HH:MM:SS.ffffff" into the first 26 bytes of `buf` (the separator at 10 is
// the template's: 'T' for RFC 3339, ' ' for PostgreSQL's text).
void put_date_time(char* buf, const Civil& c) {
  put(buf, 0, c.year, 4);
  put(buf, 5, c.month, 2);
  put(buf, 8, c.day, 2);
  put(buf, 11, c.second_of_day / 3600, 2);
  put(buf, 14, c.second_of_day / 60 % 60, 2);
  put(buf, 17, c.second_of_day % 60, 2);
  put(buf, 20, c.micros, 6);
}

int64_t clock_us(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace

std::optional<int64_t> parse_rfc3339_us(std::string_view s) {
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
    if (digits == 0) return std::nullopt;
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
  if (year < 1 || mon < 1 || mon > 12 || day < 1 ||
      day > static_cast<int>(days_in_month(year, static_cast<unsigned>(mon))) || hour > 23 ||
      min > 59 || sec > 59)
    return std::nullopt;
  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const int64_t secs = ((days * 24 + hour) * 60 + min) * 60 + sec - int64_t{offset_min} * 60;
  const int64_t us = secs * 1'000'000 + frac_us;
  // "0001-01-01T00:00:00+01:00" is in year 0 and "9999-12-31T23:59:59-23:59" in year
  // 10000 once in UTC: neither side can store them.
  if (us < kFirstUs || us >= kEndUs) return std::nullopt;
  return us;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  const auto us = parse_rfc3339_us(text);
  if (!us) return std::nullopt;
  return TimePoint(std::chrono::microseconds(*us));
}

std::string format_rfc3339_us(int64_t us) {
  const Civil c = civil(us);
  char buf[] = "0000-00-00T00:00:00.000000Z";
  put_date_time(buf, c);
  if (c.micros == 0) return std::string(buf, 19) + "Z";
  return std::string(buf, sizeof buf - 1);
}

std::string format_rfc3339(TimePoint t) {
  return format_rfc3339_us(t.time_since_epoch().count());
}

std::string format_timestamp_us(int64_t us) {
  const Civil c = civil(us);
  char buf[] = "0000-00-00 00:00:00.000000+00";
  put_date_time(buf, c);
  return std::string(buf, sizeof buf - 1);
}

int64_t unix_now_us() {
  return clock_us(CLOCK_REALTIME);
}
int64_t unix_now_ms() {
  return unix_now_us() / 1000;
}
int64_t unix_now_s() {
  return unix_now_us() / 1'000'000;
}
uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace ez
