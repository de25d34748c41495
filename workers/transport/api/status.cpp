// GET /metrics (Prometheus text 0.0.4; no auth here -- nginx restricts it to the
// internal networks) and GET /admin/status (admin; php-fpm-like pool status).
// The pool's part comes from the process layer through ctx.runtime (the scoreboard the
// master shares with every worker); each layer renders its own families.
#include <chrono>
#include <optional>

#include "api/auth.h"
#include "api/routes.h"
#include "common/build_info.h"
#include "common/prometheus.h"
#include "common/time.h"
#include "context/context.h"
#include "db/errors.h"
#include "domain/binding_resolution.h"
#include "http/error.h"
#include "http/response.h"
#include "logq/metrics.h"
#include "logq/ring.h"
#include "snapshot/backlog.h"
#include "snapshot/health.h"
#include "snapshot/publisher.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

// ezapi_bindings_broken resolves every binding, so a worker computes it at most
// once per kBrokenBindingsTtl and serves the cached count in between (a scrape
// every few seconds must not turn into a resync's worth of work). Nothing is
// emitted while PostgreSQL cannot be read: a missing series, not a false 0.
constexpr auto kBrokenBindingsTtl = std::chrono::seconds(15);

void append_broken_bindings(context::Context& ctx, std::string& body) {
  static std::optional<int64_t> cached;
  static std::chrono::steady_clock::time_point computed_at;
  const auto now = std::chrono::steady_clock::now();
  if (!cached || now - computed_at >= kBrokenBindingsTtl) {
    try {
      cached = domain::count_broken_bindings(ctx);
      computed_at = now;
    } catch (const db::StorageError& e) {
      if (e.session_lost()) ctx.mark_pg_broken();
      cached.reset();
    } catch (const std::exception&) {
      cached.reset();
    }
  }
  if (!cached) return;
  prometheus::append_family(body, "ezapi_bindings_broken", "gauge",
                            "Active bindings whose candidate resolves to no_provider or "
                            "config_error (the balancer cannot route them).");
  prometheus::append_sample(body, "ezapi_bindings_broken", "", std::to_string(*cached));
}

// What /readyz checks, as gauges: PostgreSQL and Redis answer this worker now. A scrape
// pays one round trip to each (a lost server fails fast: the connections back off).
void append_reachability(context::Context& ctx, std::string& body) {
  const bool pg = ctx.pg().ping();
  const bool redis = ctx.redis().ping();
  prometheus::append_family(body, "ezapi_postgres_up", "gauge",
                            "1 when PostgreSQL (the primary) answers the control plane.");
  prometheus::append_sample(body, "ezapi_postgres_up", "", pg ? "1" : "0");
  prometheus::append_family(body, "ezapi_redis_up", "gauge",
                            "1 when Redis (the master, through the Sentinels when configured) "
                            "answers the control plane.");
  prometheus::append_sample(body, "ezapi_redis_up", "", redis ? "1" : "0");
}

http::Response metrics(context::Context& ctx, http::Request&) {
  std::string body;
  if (ctx.runtime) {
    body = ctx.runtime->metrics_text();  // the pools and the process counters
  } else {
    // Not under the master (a test harness): the process is up, nothing else to say.
    body =
        "# HELP ezapi_up 1 when the EZ-API worker pool answers.\n# TYPE ezapi_up gauge\n"
        "ezapi_up 1\n";
  }
  logq::append_logq_metrics(ctx.log_queue, body);
  append_reachability(ctx, body);
  append_broken_bindings(ctx, body);
  build::append_build_info_metrics(body);
  const auto backlog = snapshot::outbox_backlog(ctx);
  if (backlog) snapshot::append_outbox_metrics(*backlog, body);
  snapshot::append_sync_metrics(snapshot::sync_health(ctx, backlog), body);
  return http::text(200, std::move(body), "text/plain; version=0.0.4; charset=utf-8");
}

// The snapshot version Redis holds (meta:snapshot), so an operator sees whether the
// balancer's copy is there and moving, and whether sync is degraded (snapshot/health.h).
// Redis being down is a status, not an error.
Json::Value sync_status(context::Context& ctx) {
  Json::Value out =
      snapshot::sync_health_json(snapshot::sync_health(ctx, snapshot::outbox_backlog(ctx)));
  try {
    const snapshot::RedisState st = snapshot::Publisher(ctx.redis()).state();
    out["redis_snapshot_present"] = st.present;
    out["redis_version"] = st.present ? Json::Value(Json::Int64(st.version)) : Json::Value();
  } catch (const std::exception&) {
    ctx.redis().mark_broken();  // reconnect on the next use, as every other Redis caller does
    out["redis_snapshot_present"] = false;
    out["error"] = "Redis is unreachable";
  }
  return out;
}

http::Response admin_status(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  if (!ctx.runtime) http::fail(http::ErrorCode::unavailable, "not running under the ezapi master");
  Json::Value doc = ctx.runtime->status();
  doc["served_by"] = ctx.worker_slot;
  if (ctx.log_queue)
    doc["log_queue"] = logq::render_logq_status(ctx.log_queue->stats(), unix_now_ms());
  doc["sync"] = sync_status(ctx);
  return http::json(200, doc);
}

}  // namespace

void register_status_routes(http::Router& r) {
  r.add("GET", "/metrics", metrics);
  r.add("GET", "/admin/status", admin_status);
}

}  // namespace ez::api
