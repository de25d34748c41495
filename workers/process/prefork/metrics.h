// What GET /metrics and GET /admin/status show, rendered from the scoreboard.
// Pure functions of the scoreboard's views (plus "now"), so they are unit-tested
// without processes; api/status.cpp only wires them to the routes.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/prometheus.h"
#include "prefork/scoreboard.h"

namespace ez::prefork {

// The pool's families: ezapi_up, ezapi_http_requests_total{method,route,status},
// ezapi_http_request_duration_seconds{method,route} (cumulative buckets),
// ezapi_worker_restarts_total{reason}, ezapi_workers{state}, and a few gauges.
[[nodiscard]] std::string render_pool_metrics(const GlobalView& global,
                                              const std::vector<SlotView>& slots,
                                              const std::vector<RouteCounts>& routes);

// The process counters (workers, the syncer and the master keep them in the
// scoreboard): ezapi_redis_push_failures_total, ezapi_resyncs_total,
// ezapi_resync_duration_seconds (summary: _sum, _count), ezapi_resync_last_duration_seconds,
// ezapi_config_reload_failures_total.
void append_counter_metrics(const GlobalView& global, std::string& out);

// Nanoseconds since a process last made Redis current (record_redis_current), or,
// before the first time, since the master started. `now_ns` is monotonic_ns().
[[nodiscard]] uint64_t redis_push_age_ns(const GlobalView& global, uint64_t now_ns);

// php-fpm-like status document for GET /admin/status. `now_ns` is monotonic_ns().
[[nodiscard]] Json::Value render_status(const GlobalView& global,
                                        const std::vector<SlotView>& slots, uint64_t now_ns);

}  // namespace ez::prefork
