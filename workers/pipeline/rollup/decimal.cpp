#include "rollup/decimal.h"

#include <charconv>
#include <cstdint>

namespace ez::rollup {

std::optional<std::string> normalize_decimal(std::string_view s, size_t max_integer_digits,
                                             size_t max_fraction_digits) {
  if (s.size() > 64) return std::nullopt;
  size_t i = 0;
  if (i < s.size() && s[i] == '+') ++i;
  std::string digits;  // all significant digits, integer part then fraction
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    digits += s[i++];
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      digits += s[i++];
      ++frac_digits;
    }
  }
  if (digits.empty()) return std::nullopt;
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 4)
      exponent = exponent * 10 + (s[i++] - '0');
    if (i == start) return std::nullopt;
    if (neg) exponent = -exponent;
  }
  if (i != s.size()) return std::nullopt;
  // value = digits * 10^(exponent - frac_digits): place the point.
  long point = static_cast<long>(int_digits) + exponent;  // digits before the point
  std::string int_part, frac_part;
  if (point <= 0) {
    frac_part = std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    int_part = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    int_part = digits.substr(0, static_cast<size_t>(point));
    frac_part = digits.substr(static_cast<size_t>(point));
  }
  (void)frac_digits;
  const size_t lead = int_part.find_first_not_of('0');
  int_part = lead == std::string::npos ? "0" : int_part.substr(lead);
  const size_t last = frac_part.find_last_not_of('0');
  frac_part = last == std::string::npos ? "" : frac_part.substr(0, last + 1);
  if (int_part.size() > max_integer_digits || frac_part.size() > max_fraction_digits)
    return std::nullopt;
  return frac_part.empty() ? int_part : int_part + "." + frac_part;
}

std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace ez::rollup
