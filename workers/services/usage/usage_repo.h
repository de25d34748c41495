// Reads for usage statistics (the rollups of sql/005_usage.sql) and log search (the raw
// logs), from the parsed queries of usage/query.h. Functions run in the caller's
// transaction. SQL is built from fixed fragments; every value is a parameter.
#pragma once

#include <json/value.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "rollup/rollup_sql.h"
#include "usage/query.h"
#include "usage/quota.h"

namespace ez::usage {

struct UsageMetrics {
  int64_t requests = 0, errors = 0, unpriced = 0;
  std::string prompt_tokens = "0", completion_tokens = "0", total_tokens = "0";  // numeric
  std::optional<std::string> cost;  // numeric; null when nothing in the group was priced
  std::optional<int64_t> latency_max;
  std::array<int64_t, rollup::kLatencyBuckets> hist{};
};

struct UsageRow {
  std::optional<std::string> group;  // the dimension's value as text (null: absent); for
                                     // day/hour the bucket start in unix microseconds
  UsageMetrics m;
  // group_by=key only: the key's quota fields (nullopt: no such key, e.g. deleted).
  std::optional<usage::KeyQuota> quota = std::nullopt;
};

struct UsageResult {
  std::vector<UsageRow> rows;
  UsageMetrics totals;
};

// Sums the rollups over q's window: daily rows for the whole days inside it, hourly rows
// for the edges (and for group_by=hour), so a 30-day query reads ~30 rows per group; from
// the per-master rollups when usage::reads_master_rollups(q). With group_by=key each row
// also carries its key's quota (one more query over the keys the rows name).
[[nodiscard]] UsageResult query_usage(pqxx::transaction_base& tx, const usage::UsageQuery& q);

// One log row, as text cells in the order of log_columns() (null: SQL NULL).
using LogCells = std::vector<std::optional<std::string>>;
struct LogColumn {
  const char* name;
  enum Kind { integer, text, time, boolean, number, json } kind;
};
[[nodiscard]] const std::vector<LogColumn>& log_columns();
[[nodiscard]] Json::Value log_json(const LogCells& cells);

// Newest first, keyset on (ts, id) after q.cursor; at most `limit` rows. The WHERE clause
// bounds ts by the window, so only that window's day partitions are scanned.
[[nodiscard]] std::vector<LogCells> query_logs(pqxx::transaction_base& tx,
                                               const usage::LogsQuery& q, int64_t limit);
// The statement query_logs runs ($1 from, $2 to, $3 master_id, $4 key_id, $5 model,
// $6 provider_id, $7 status, $8 status class, $9 request_id, $10 error_type, $11 cursor ts,
// $12 cursor id, $13 limit), for EXPLAIN in tests.
[[nodiscard]] std::string logs_search_sql();

// Every log with this request_id (several if the balancer retried), newest first, within
// the partitions of the last `days` days; master_id restricts to one master.
[[nodiscard]] std::vector<LogCells> logs_by_request_id(pqxx::transaction_base& tx,
                                                       const std::string& request_id,
                                                       std::optional<int64_t> master_id,
                                                       int64_t from_us);

// Exports: a server-side cursor over the rows of q (newest first), declared in `tx`; then
// fetch_logs reads it `batch` rows per FETCH, so the worker holds one batch at a time,
// calling `each` for at most max_rows rows. Returns the rows passed to `each`; *more is
// set when rows were left after max_rows.
// The cursor stops one row past max_rows.
void declare_logs_cursor(pqxx::transaction_base& tx, const usage::LogsQuery& q, int64_t max_rows);
[[nodiscard]] int64_t fetch_logs(pqxx::transaction_base& tx, int64_t max_rows,
                                 const std::function<void(const LogCells&)>& each, bool* more,
                                 int batch = 1000);

struct RebuildResult {
  int64_t from_us = 0, to_us = 0;  // the window, widened to whole UTC days
  int64_t hourly_rows = 0, daily_rows = 0;
  int64_t master_hourly_rows = 0, master_daily_rows = 0;  // sql/008
};
// Re-derives usage_hourly, usage_daily and the per-master rollups (sql/008) for [from, to) (widened
// to whole days) from the raw logs, in one transaction: deletes the window's rollup rows, then
// aggregates the logs with the flusher's own statement (rollup/rollup_sql.h). Holds the usage lock
// exclusively, so no flusher batch lands half inside it. Raw logs past retention are gone:
// rebuilding such a window leaves it empty.
[[nodiscard]] RebuildResult rebuild_usage(pqxx::connection& conn, int64_t from_us, int64_t to_us);

// Position of the log cursor for the row (ts_us is cell 1, id cell 0).
[[nodiscard]] usage::LogCursor cursor_of(const LogCells& cells);

}  // namespace ez::usage
