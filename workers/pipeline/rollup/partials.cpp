#include "rollup/partials.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "rollup/rollup_sql.h"

namespace ez::rollup {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]+00" -> "YYYY-MM-DD HH" (the hour, in UTC).
std::optional<std::string_view> utc_hour(std::string_view ts) {
  if (ts.size() < 22 || ts.substr(ts.size() - 3) != "+00") return std::nullopt;
  const std::string_view head = ts.substr(0, 19);
  for (size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    const bool ok = (i == 4 || i == 7)     ? c == '-'
                    : i == 10              ? c == ' '
                    : (i == 13 || i == 16) ? c == ':'
                                           : std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return std::nullopt;
  }
  const std::string_view rest = ts.substr(19, ts.size() - 22);
  if (!rest.empty() && (rest[0] != '.' || !all_digits(rest.substr(1)))) return std::nullopt;
  return ts.substr(0, 13);
}

// The whole text as an int64 (digits with an optional '-'), as PostgreSQL's bigint reads it.
std::optional<int64_t> integer(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string to_text(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string s;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    s.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    v /= 10;
  }
  if (negative) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

struct Sum {
  __int128 prompt = 0, completion = 0, total = 0, latency = 0;
  int64_t requests = 0, unpriced = 0, latency_count = 0;
  std::optional<int64_t> latency_max;
  std::optional<std::string> cost;  // nullopt while no priced row was added
};

std::optional<std::string> opt(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

}  // namespace

std::optional<std::string> add_decimals(std::string_view a, std::string_view b) {
  auto split = [](std::string_view s, std::string_view& whole, std::string_view& frac) {
    const size_t dot = s.find('.');
    whole = s.substr(0, dot);
    frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    return all_digits(whole) && (dot == std::string_view::npos || all_digits(frac));
  };
  std::string_view aw, af, bw, bf;
  if (!split(a, aw, af) || !split(b, bw, bf)) return std::nullopt;
  const size_t fl = std::max(af.size(), bf.size());
  const size_t wl = std::max(aw.size(), bw.size());
  // Both numbers as digit strings of the same shape, then school addition from the right.
  auto shape = [&](std::string_view w, std::string_view f) {
    std::string s(wl - w.size(), '0');
    s.append(w);
    s.append(f);
    s.append(fl - f.size(), '0');
    return s;
  };
  const std::string x = shape(aw, af), y = shape(bw, bf);
  std::string sum(x.size(), '0');
  int carry = 0;
  for (size_t i = x.size(); i-- > 0;) {
    const int d = (x[i] - '0') + (y[i] - '0') + carry;
    sum[i] = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) sum.insert(sum.begin(), '1');
  if (fl) sum.insert(sum.end() - static_cast<std::ptrdiff_t>(fl), '.');
  return sum;
}

std::optional<Partials> fold(const std::vector<RollupRow>& rows) {
  // Key: the grouping values as they will be sent, with a marker for NULL.
  std::map<std::string, std::pair<std::array<std::optional<std::string>, 7>, Sum>> groups;
  std::string key;
  for (const RollupRow& r : rows) {
    if (!r.ts) return std::nullopt;  // logs.ts is NOT NULL: never happens
    const auto hour = utc_hour(*r.ts);
    if (!hour) return std::nullopt;
    std::optional<int64_t> latency;
    if (r.latency_ms && !(latency = integer(*r.latency_ms))) return std::nullopt;
    std::array<std::optional<std::string>, 7> dims{
        std::string(*hour) + ":00:00+00",
        opt(r.master_id),
        opt(r.key_id),
        opt(r.model),
        opt(r.provider_id),
        opt(r.status_code),
        latency ? std::optional<std::string>(std::to_string(latency_bucket(*latency)))
                : std::nullopt};
    key.clear();
    for (const auto& d : dims) {
      if (d) {
        key.push_back('v');
        key += std::to_string(d->size());  // length-prefixed: no separator can collide
        key.push_back(':');
        key += *d;
      } else {
        key.push_back('n');
      }
    }
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) it->second.first = std::move(dims);
    Sum& s = it->second.second;
    ++s.requests;
    for (auto [field, into] :
         {std::pair{&r.prompt_tokens, &s.prompt}, std::pair{&r.completion_tokens, &s.completion},
          std::pair{&r.total_tokens, &s.total}}) {
      if (!*field) continue;
      const auto v = integer(**field);
      if (!v) return std::nullopt;
      *into += *v;
    }
    if (latency) {
      ++s.latency_count;
      s.latency += *latency;
      s.latency_max = std::max(s.latency_max.value_or(*latency), *latency);
    }
    if (!r.cost) {
      ++s.unpriced;
    } else {
      auto c = add_decimals(s.cost ? std::string_view(*s.cost) : std::string_view("0"), *r.cost);
      if (!c) return std::nullopt;
      s.cost = std::move(c);
    }
  }
  Partials out;
  for (auto& [k, group] : groups) {
    auto& [dims, s] = group;
    size_t c = 0;
    for (auto& d : dims) out.columns[c++].push_back(std::move(d));
    out.columns[c++].push_back(std::to_string(s.requests));
    out.columns[c++].push_back(std::to_string(s.unpriced));
    out.columns[c++].push_back(to_text(s.prompt));
    out.columns[c++].push_back(to_text(s.completion));
    out.columns[c++].push_back(to_text(s.total));
    out.columns[c++].push_back(s.cost.value_or("0"));
    out.columns[c++].push_back(std::to_string(s.latency_count));
    out.columns[c++].push_back(to_text(s.latency));
    out.columns[c++].push_back(
        s.latency_max ? std::optional<std::string>(std::to_string(*s.latency_max)) : std::nullopt);
  }
  return out;
}

}  // namespace ez::rollup
