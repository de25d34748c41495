// The pure half of the usage and log-search handlers: results -> the API's JSON, CSV and
// NDJSON lines (tests/unit/transport/api/usage_view_test.cpp). The JSON shape of /admin/usage is
// fixed (the web console reads it):
//   {"from","to","group_by","rows":[{"group": string, <master_id|key_id|model|provider_id|
//    bucket>, "requests","errors","prompt_tokens","completion_tokens","total_tokens",
//    "cost": number|null,"unpriced_requests","latency_p50_ms","latency_p95_ms",
//    "latency_p99_ms"}],"totals":{the same metrics}}
//   group_by=key rows also carry "quota": {"unlimited","limit","used","remaining"} or null
//   (a key that no longer exists); the CSV export leaves it out.
#pragma once

#include <json/value.h>

#include <exception>
#include <string>
#include <vector>

#include "usage/query.h"
#include "usage/usage_repo.h"

namespace ez::api {

// The typed dimension field of a row: master_id, key_id, model, provider_id or bucket.
[[nodiscard]] const char* usage_dimension_field(usage::GroupBy g);

[[nodiscard]] Json::Value usage_metrics_json(const usage::UsageMetrics& m);
// A key's quota: {"unlimited","limit","used","remaining" (null when unlimited)}; null: none.
[[nodiscard]] Json::Value key_quota_json(const std::optional<usage::KeyQuota>& q);
[[nodiscard]] Json::Value usage_row_json(const usage::UsageRow& row, usage::GroupBy g);
[[nodiscard]] Json::Value usage_json(const usage::UsageResult& r, const usage::UsageQuery& q);

// CSV: a header line, then one line per row (no totals: they are the column sums).
[[nodiscard]] std::string usage_csv_header(usage::GroupBy g);
[[nodiscard]] std::string usage_csv_line(const usage::UsageRow& row, usage::GroupBy g);

// One NDJSON line of a log export, written straight from the cells (no JSON tree: the
// export's per-row cost). The same JSON value as usage::log_json (keys in column order; `extra`
// is PostgreSQL's jsonb text as it is, which is JSON).
[[nodiscard]] std::string log_ndjson_line(const usage::LogCells& cells);
void append_log_ndjson(std::string& out, const usage::LogCells& cells);

[[nodiscard]] std::string logs_csv_header();
[[nodiscard]] std::string logs_csv_line(const usage::LogCells& cells);

// `ezapi-ctl usage`: an aligned text table (one line per group, then the totals).
[[nodiscard]] std::string usage_table(const usage::UsageResult& r, const usage::UsageQuery& q);

// The line that ends an export cut at the row limit, or broken by an error.
[[nodiscard]] std::string export_error_line(usage::Format f, const std::string& code,
                                            const std::string& message);

// How an export stopped by an exception after its headers ends: a lost database is
// `unavailable` (what a 503 says before the headers; the session is to be dropped), any
// other failure `internal`. Call inside the catch block with std::current_exception().
struct ExportFailure {
  std::string line;           // export_error_line(...)
  bool session_lost = false;  // the connection is dead: mark it broken
  std::string detail;         // for the log
};
[[nodiscard]] ExportFailure export_failure(usage::Format f, std::exception_ptr failure);

}  // namespace ez::api
