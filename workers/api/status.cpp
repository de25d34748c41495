// GET /metrics (Prometheus text 0.0.4; no auth here -- nginx restricts it to the
// internal networks) and GET /admin/status (admin; php-fpm-like pool status).
// Both read the scoreboard the master shares with every worker; rendering lives in
// prefork/metrics.h so it is tested without processes.
#include <optional>

#include "api/auth.h"
#include "api/context.h"
#include "api/routes.h"
#include "http/error.h"
#include "http/response.h"
#include "prefork/metrics.h"
#include "prefork/scoreboard.h"
#include "snapshot/backlog.h"

namespace ez::api {

namespace {

http::Response metrics(Context& ctx, http::Request&) {
  std::string body;
  if (ctx.scoreboard) {
    const prefork::Scoreboard& sb = *ctx.scoreboard;
    body = prefork::render_pool_metrics(sb.global(), sb.active_slots(), sb.route_counts());
  } else {
    // Not under the master (a test harness): the process is up, nothing else to say.
    body =
        "# HELP ezapi_up 1 when the EZ-API worker pool answers.\n# TYPE ezapi_up gauge\n"
        "ezapi_up 1\n";
  }
  // The log pipeline's families (queue depth, flusher health): prefork/metrics_logq.cpp.
  prefork::append_logq_metrics(ctx.log_queue, body);
  // Build identity, outbox backlog, push/resync/reload counters: prefork/metrics_ops.cpp.
  const auto global = ctx.scoreboard ? std::optional(ctx.scoreboard->global()) : std::nullopt;
  const auto backlog = snapshot::outbox_backlog(ctx);
  prefork::append_ops_metrics(global ? &*global : nullptr, backlog ? &*backlog : nullptr, body);
  return http::text(200, std::move(body), "text/plain; version=0.0.4; charset=utf-8");
}

http::Response admin_status(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  if (!ctx.scoreboard)
    http::fail(http::ErrorCode::unavailable, "not running under the ezapi master");
  const prefork::Scoreboard& sb = *ctx.scoreboard;
  Json::Value doc = prefork::render_status(sb.global(), sb.active_slots(), prefork::monotonic_ns());
  doc["served_by"] = ctx.worker_slot;
  return http::json(200, doc);
}

}  // namespace

void register_status_routes(http::Router& r) {
  r.add("GET", "/metrics", metrics);
  r.add("GET", "/admin/status", admin_status);
}

}  // namespace ez::api
