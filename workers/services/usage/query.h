// The query strings of /admin/usage, /master/usage, /admin/logs, /master/logs and their
// exports: parsed and validated here, purely (tests/unit/services/usage/query_test.cpp), into the
// values the repository (usage/usage_repo.h) turns into SQL.
//
// Rules (docs/openapi.yaml says the same):
//  * Times (`from`, `to`) are RFC 3339 or unix seconds. `to` defaults to now, `from` to
//    `to` minus one day; from < to.
//  * Usage windows are widened to whole hours (from down, to up: the rollups' grain); the
//    answer carries the window actually used. Log windows are exact.
//  * A window longer than the configured maximum (usage.max_window_days,
//    usage.logs_max_window_days) is a 400 naming `from`.
//  * Times and cursors fall in 1970-01-01 .. 9999-12-31T23:59:59Z; a usage `to` whose
//    hour ends past that (in the year 10000) is a 400 naming `to`.
//  * An unknown parameter, or one given twice, is a 400 naming it.
//  * `status` on logs: a code (100..599) or a class ("4xx").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/query_params.h"

namespace ez::usage {

enum class GroupBy { master, key, model, provider, day, hour };
[[nodiscard]] const char* group_by_name(GroupBy g);

enum class Format { csv, ndjson };

struct Scope {
  std::optional<int64_t> master_id;  // set: the caller is this master (/master/*)
  bool is_export = false;            // `format` is accepted
  int max_window_days = 400;
  int64_t now_us = 0;
};

struct UsageQuery {
  int64_t from_us = 0, to_us = 0;  // whole hours
  GroupBy group_by = GroupBy::master;
  std::optional<int64_t> master_id, key_id, provider_id;
  std::optional<std::string> model;
  Format format = Format::csv;
};

struct LogCursor {
  int64_t ts_us = 0;
  int64_t id = 0;
};

struct LogsQuery {
  int64_t from_us = 0, to_us = 0;
  std::optional<int64_t> master_id, key_id, provider_id;
  std::optional<std::string> model, request_id, error_type;
  std::optional<int> status;        // exact code
  std::optional<int> status_class;  // 1..5 ("4xx")
  int64_t limit = 50;               // 1..500 (a page; exports ignore it)
  std::optional<LogCursor> cursor;
  Format format = Format::csv;
};

inline constexpr int64_t kDefaultLogsLimit = 50;
inline constexpr int64_t kMaxLogsLimit = 500;

// True when q groups and filters by nothing but the master (group_by master, day or hour;
// no key_id, model or provider_id): then the per-master rollups (sql/008) answer it, which
// hold one row per master and bucket instead of one per key x model x provider x class.
[[nodiscard]] bool reads_master_rollups(const UsageQuery& q);

// 400 (bad_request naming the parameter) for anything wrong.
[[nodiscard]] UsageQuery parse_usage_query(const QueryParams& query, const Scope& scope);
[[nodiscard]] LogsQuery parse_logs_query(const QueryParams& query, const Scope& scope);

// The last instant a time parameter or cursor takes: 9999-12-31T23:59:59.999999Z.
inline constexpr int64_t kMaxTimeUs = 253402300799999999;

// RFC 3339 or unix seconds; nullopt otherwise (and before 1970 or after 9999).
[[nodiscard]] std::optional<int64_t> parse_time_param(std::string_view text);

// Opaque to clients: "<ts_us>_<id>".
[[nodiscard]] std::string encode_log_cursor(const LogCursor& c);
[[nodiscard]] std::optional<LogCursor> decode_log_cursor(std::string_view text);

// How long a log export may stream before it stops with an `export_timeout` line: the
// admin pool's request timeout less 2 s (at least half of it), so the master never kills
// the worker mid-body, which would end the export with no error line.
[[nodiscard]] constexpr int64_t export_time_budget_ms(int64_t request_timeout_ms) {
  const int64_t margin = request_timeout_ms - 2000;
  return margin > request_timeout_ms / 2 ? margin : request_timeout_ms / 2;
}

// Hour and day boundaries (UTC) in unix microseconds.
[[nodiscard]] int64_t floor_to(int64_t us, int64_t step_us);
[[nodiscard]] int64_t ceil_to(int64_t us, int64_t step_us);
inline constexpr int64_t kHourUs = 3600LL * 1000000;
inline constexpr int64_t kDayUs = 24 * kHourUs;

// A CSV field: quoted when it holds a comma, quote, CR or LF (RFC 4180), and prefixed
// with ' when it starts with = + - @ (a spreadsheet would run it as a formula).
[[nodiscard]] std::string csv_field(std::string_view v);

}  // namespace ez::usage
