#include "usage/query.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/error.h"
#include "common/json_text.h"
#include "domain/validate.h"

namespace ez::usage {

const char* group_by_name(GroupBy g) {
  switch (g) {
    case GroupBy::master:
      return "master";
    case GroupBy::key:
      return "key";
    case GroupBy::model:
      return "model";
    case GroupBy::provider:
      return "provider";
    case GroupBy::day:
      return "day";
    case GroupBy::hour:
      return "hour";
  }
  return "master";
}

bool reads_master_rollups(const UsageQuery& q) {
  const bool by_master_or_time =
      q.group_by == GroupBy::master || q.group_by == GroupBy::day || q.group_by == GroupBy::hour;
  return by_master_or_time && !q.key_id && !q.model && !q.provider_id;
}

int64_t floor_to(int64_t us, int64_t step) {
  int64_t q = us / step;
  if (us % step < 0) --q;
  return q * step;
}

int64_t ceil_to(int64_t us, int64_t step) {
  const int64_t f = floor_to(us, step);
  return f == us ? us : f + step;
}

std::optional<int64_t> parse_time_param(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    if (secs > kMaxTimeUs / 1000000) return std::nullopt;  // 9999-12-31T23:59:59Z
    return secs * 1000000;
  }
  auto t = parse_rfc3339(text);
  if (!t) return std::nullopt;
  const int64_t us = t->time_since_epoch().count();
  if (us < 0 || us > kMaxTimeUs) return std::nullopt;
  return us;
}

std::string encode_log_cursor(const LogCursor& c) {
  return std::to_string(c.ts_us) + "_" + std::to_string(c.id);
}

std::optional<LogCursor> decode_log_cursor(std::string_view text) {
  const auto sep = text.find('_');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == text.size()) return std::nullopt;
  LogCursor c;
  auto num = [](std::string_view s, int64_t& out) {
    if (s.size() > 1 && s[0] == '0') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= 0;
  };
  if (!num(text.substr(0, sep), c.ts_us) || !num(text.substr(sep + 1), c.id)) return std::nullopt;
  // A time PostgreSQL and the answer can hold; past it the SQL failed (a 500).
  if (c.ts_us > kMaxTimeUs) return std::nullopt;
  return c;
}

std::string csv_field(std::string_view v) {
  std::string out;
  const bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@');
  // A leading '#' is quoted too: an export's error line is the only one starting with it.
  const bool quote = formula || (!v.empty() && v[0] == '#') ||
                     v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) return std::string(v);
  out += '"';
  if (formula) out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

// One pass over the query: every name must be known and appear once.
class Params {
 public:
  Params(const QueryParams& query, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : query) {
      bool ok = false;
      for (auto n : known) ok = ok || n == k;
      if (!ok) fail(ErrorCode::bad_request, "unknown query parameter '" + k + "'", k);
      if (!seen_.insert(k).second)
        fail(ErrorCode::bad_request, "query parameter '" + k + "' is given twice", k);
    }
    query_ = &query;
  }

  std::optional<std::string> text(const char* name, size_t max_len = 256) const {
    auto v = query_param(*query_, name);
    if (!v) return std::nullopt;
    if (v->empty()) fail(ErrorCode::bad_request, std::string(name) + " must not be empty", name);
    if (v->size() > max_len) fail(ErrorCode::bad_request, std::string(name) + " is too long", name);
    if (v->find('\0') != std::string::npos || !is_valid_utf8(*v))
      fail(ErrorCode::bad_request, std::string(name) + " must be UTF-8 text without NUL", name);
    return v;
  }

  std::optional<int64_t> id(const char* name) const {
    auto v = text(name, 32);
    if (!v) return std::nullopt;
    auto n = parse_int64(*v);
    if (!n || *n < 0)
      fail(ErrorCode::bad_request, std::string(name) + " must be a non-negative integer", name);
    return n;
  }

  std::optional<int64_t> time(const char* name) const {
    auto v = text(name, 64);
    if (!v) return std::nullopt;
    auto t = parse_time_param(*v);
    if (!t)
      fail(ErrorCode::bad_request,
           std::string(name) +
               " must be an RFC 3339 time (2025-01-31T12:00:00Z) or unix seconds (1738324800)",
           name);
    return t;
  }

  Format format() const {
    auto v = text("format", 16);
    if (!v || *v == "csv") return Format::csv;
    if (*v == "ndjson") return Format::ndjson;
    fail(ErrorCode::bad_request, "format must be csv or ndjson", "format");
  }

 private:
  const QueryParams* query_ = nullptr;
  std::set<std::string> seen_;
};

struct Window {
  int64_t from, to;
};

Window window(const Params& p, const Scope& scope) {
  const int64_t to = p.time("to").value_or(scope.now_us);
  // Not before the epoch, the first instant a time parameter takes.
  const int64_t from = p.time("from").value_or(std::max<int64_t>(0, to - kDayUs));
  if (from >= to) fail(ErrorCode::bad_request, "from must be before to", "from");
  return {from, to};
}

void check_span(const Window& w, const Scope& scope, const char* setting) {
  const int64_t max_us = static_cast<int64_t>(scope.max_window_days) * kDayUs;
  if (w.to - w.from > max_us)
    fail(ErrorCode::bad_request,
         "the window from..to is longer than " + std::to_string(scope.max_window_days) + " days (" +
             setting + "); narrow it",
         "from");
}

}  // namespace

UsageQuery parse_usage_query(const QueryParams& query, const Scope& scope) {
  const Params p =
      scope.master_id
          ? (scope.is_export
                 ? Params(query,
                          {"from", "to", "group_by", "key_id", "model", "provider_id", "format"})
                 : Params(query, {"from", "to", "group_by", "key_id", "model", "provider_id"}))
          : (scope.is_export ? Params(query, {"from", "to", "group_by", "master_id", "key_id",
                                              "model", "provider_id", "format"})
                             : Params(query, {"from", "to", "group_by", "master_id", "key_id",
                                              "model", "provider_id"}));
  UsageQuery q;
  Window w = window(p, scope);
  // The rollups' grain is the hour.
  w.from = floor_to(w.from, kHourUs);
  w.to = ceil_to(w.to, kHourUs);
  // The hour after 9999-12-31T23:00Z is in the year 10000, which neither PostgreSQL nor
  // RFC 3339 holds.
  if (w.to > kMaxTimeUs)
    fail(ErrorCode::bad_request,
         "to must be at most 9999-12-31T23:00:00Z: usage windows end on a whole hour", "to");
  check_span(w, scope, "usage.max_window_days");
  q.from_us = w.from;
  q.to_us = w.to;
  if (auto g = p.text("group_by", 16)) {
    bool found = false;
    for (GroupBy cand : {GroupBy::master, GroupBy::key, GroupBy::model, GroupBy::provider,
                         GroupBy::day, GroupBy::hour})
      if (*g == group_by_name(cand)) {
        q.group_by = cand;
        found = true;
      }
    if (!found)
      fail(ErrorCode::bad_request,
           "group_by must be one of master, key, model, provider, day, hour", "group_by");
  } else if (scope.master_id) {
    q.group_by = GroupBy::key;  // one master: its keys are the interesting split
  }
  q.master_id = scope.master_id ? scope.master_id : p.id("master_id");
  q.key_id = p.id("key_id");
  q.provider_id = p.id("provider_id");
  q.model = p.text("model");
  if (scope.is_export) q.format = p.format();
  return q;
}

LogsQuery parse_logs_query(const QueryParams& query, const Scope& scope) {
  const Params p =
      scope.master_id
          ? (scope.is_export
                 ? Params(query, {"from", "to", "key_id", "model", "provider_id", "status",
                                  "request_id", "error_type", "format"})
                 : Params(query, {"from", "to", "key_id", "model", "provider_id", "status",
                                  "request_id", "error_type", "limit", "cursor"}))
          : (scope.is_export
                 ? Params(query, {"from", "to", "master_id", "key_id", "model", "provider_id",
                                  "status", "request_id", "error_type", "format"})
                 : Params(query, {"from", "to", "master_id", "key_id", "model", "provider_id",
                                  "status", "request_id", "error_type", "limit", "cursor"}));
  LogsQuery q;
  const Window w = window(p, scope);
  check_span(w, scope, "usage.logs_max_window_days");
  q.from_us = w.from;
  q.to_us = w.to;
  q.master_id = scope.master_id ? scope.master_id : p.id("master_id");
  q.key_id = p.id("key_id");
  q.provider_id = p.id("provider_id");
  q.model = p.text("model");
  q.request_id = p.text("request_id", 128);
  q.error_type = p.text("error_type");
  if (auto s = p.text("status", 8)) {
    int code = 0;
    if (s->size() == 3 && (*s)[1] == 'x' && (*s)[2] == 'x' && (*s)[0] >= '1' && (*s)[0] <= '5') {
      q.status_class = (*s)[0] - '0';
    } else if (auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), code);
               ec == std::errc() && ptr == s->data() + s->size() && code >= 100 && code <= 599) {
      q.status = code;
    } else {
      fail(ErrorCode::bad_request, "status must be a code (100..599) or a class such as 5xx",
           "status");
    }
  }
  if (auto l = p.text("limit", 8)) {
    auto n = parse_int64(*l);
    if (!n || *n < 1 || *n > kMaxLogsLimit)
      fail(ErrorCode::bad_request, "limit must be an integer from 1 to 500", "limit");
    q.limit = *n;
  }
  if (auto c = p.text("cursor", 64)) {
    q.cursor = decode_log_cursor(*c);
    if (!q.cursor) fail(ErrorCode::bad_request, "cursor is not one this API returned", "cursor");
  }
  if (scope.is_export) q.format = p.format();
  return q;
}

}  // namespace ez::usage
