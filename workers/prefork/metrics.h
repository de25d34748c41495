// What GET /metrics and GET /admin/status show, rendered from the scoreboard.
// Pure functions of the scoreboard's views (plus "now"), so they are unit-tested
// without processes; api/status.cpp only wires them to the routes.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>
#include <vector>

#include "prefork/scoreboard.h"

namespace ez::logq {
class Ring;
struct Stats;
}  // namespace ez::logq

namespace ez::prefork {

// Prometheus label value escaping (text format 0.0.4): backslash, quote, newline.
[[nodiscard]] std::string escape_label(const std::string& value);
// A float sample value as Prometheus reads it ("0.0025", "1e-05", "+Inf").
[[nodiscard]] std::string format_value(double value);

// Text-format building blocks: "# HELP"/"# TYPE" lines of a family, and one sample
// (`labels` already rendered, e.g. `route="/x",status="200"`, or empty).
void append_family(std::string& out, const char* name, const char* type, const char* help);
void append_sample(std::string& out, const std::string& name, const std::string& labels,
                   const std::string& value);

// The pool's families: ezapi_up, ezapi_http_requests_total{method,route,status},
// ezapi_http_request_duration_seconds{method,route} (cumulative buckets),
// ezapi_worker_restarts_total{reason}, ezapi_workers{state}, and a few gauges.
[[nodiscard]] std::string render_pool_metrics(const GlobalView& global,
                                              const std::vector<SlotView>& slots,
                                              const std::vector<RouteCounts>& routes);

// HOOK for the log pipeline (workers/prefork/metrics_logq.cpp): appends the log
// queue's and the flusher's families (depth, enqueued/refused/abandoned totals,
// flusher heartbeat and lag) to `out`. `ring` is null when this worker has no queue
// attached; the function then appends nothing. Whoever extends the logs metrics
// edits that one file; GET /metrics calls it after render_pool_metrics.
void append_logq_metrics(const logq::Ring* ring, std::string& out);

// The sync outbox as GET /metrics reads it from PostgreSQL.
struct OutboxBacklog {
  int64_t rows = 0;
  double oldest_age_seconds = 0;  // 0 when empty
};

// Operations families (workers/prefork/metrics_ops.cpp): ezapi_build_info{version,commit},
// ezapi_outbox_pending_rows and ezapi_outbox_oldest_age_seconds (when `outbox` is known:
// PostgreSQL answered), ezapi_redis_push_failures_total, ezapi_resyncs_total,
// ezapi_resync_duration_seconds (summary: _sum, _count), ezapi_resync_last_duration_seconds,
// ezapi_config_reload_failures_total. `global` is null outside the master (counters omitted).
void append_ops_metrics(const GlobalView* global, const OutboxBacklog* outbox, std::string& out);
// The log queue and the flusher for GET /admin/status, from the same lock-free stats as
// append_logq_metrics: depth and capacity, entries not yet durable (lag), totals, and the
// flusher's heartbeat age and state. `now_unix_ms` is wall-clock time (the heartbeat is).
[[nodiscard]] Json::Value render_logq_status(const logq::Stats& s, int64_t now_unix_ms);

// php-fpm-like status document for GET /admin/status. `now_ns` is monotonic_ns().
[[nodiscard]] Json::Value render_status(const GlobalView& global,
                                        const std::vector<SlotView>& slots, uint64_t now_ns);

}  // namespace ez::prefork
