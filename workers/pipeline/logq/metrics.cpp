// The log pipeline's families on GET /metrics and its part of GET /admin/status.
// It reads only Ring::stats(), which is lock-free, so a scrape never waits on a
// producer or the flusher.
#include "logq/metrics.h"

#include <json/value.h>

#include <string>

#include "common/prometheus.h"
#include "common/time.h"
#include "logq/ring.h"

namespace ez::logq {

using namespace ez::prometheus;

namespace {

void gauge(std::string& out, const char* name, const char* help, const std::string& value,
           const char* type = "gauge") {
  append_family(out, name, type, help);
  append_sample(out, name, "", value);
}

}  // namespace

double oldest_unlanded_age_seconds(const Stats& s, int64_t now_unix_ms) {
  if (s.lag == 0 || s.unlanded_since_unix_ms == 0 || now_unix_ms <= s.unlanded_since_unix_ms)
    return 0;
  return static_cast<double>(now_unix_ms - s.unlanded_since_unix_ms) / 1000.0;
}

void append_logq_metrics(const Ring* ring, std::string& out) {
  if (!ring) return;
  const Stats s = ring->stats();
  const auto u = [](uint64_t v) { return std::to_string(v); };

  gauge(out, "ezapi_logq_capacity_entries", "Entries the log queue can hold.",
        u(s.capacity_entries));
  gauge(out, "ezapi_logq_capacity_bytes", "Bytes of the log queue's data area.",
        u(s.capacity_bytes));
  gauge(out, "ezapi_logq_depth_entries", "Entries queued and not yet written to PostgreSQL.",
        u(s.depth_entries));
  gauge(out, "ezapi_logq_depth_bytes", "Bytes of the log queue in use.", u(s.depth_bytes));
  gauge(out, "ezapi_logq_enqueued_entries_total", "Log entries accepted into the queue.",
        u(s.enqueued), "counter");
  gauge(out, "ezapi_logq_refused_entries_total",
        "Log entries refused because the queue stayed full (answered 503).", u(s.refused),
        "counter");
  gauge(out, "ezapi_logq_waited_requests_total",
        "POST /logs requests that found the queue full and waited for space "
        "(log.enqueue_wait_ms); those still refused after the wait are in refused.",
        u(s.waited_requests), "counter");
  gauge(out, "ezapi_logq_abandoned_entries_total",
        "Log entries of claims skipped after their worker died mid-append.", u(s.abandoned),
        "counter");
  gauge(out, "ezapi_logq_lag_entries", "Entries queued but not yet durable in PostgreSQL.",
        u(s.lag));
  gauge(out, "ezapi_logq_oldest_unlanded_age_seconds",
        "How long the oldest entry not yet durable in PostgreSQL has waited (0 when none).",
        format_value(oldest_unlanded_age_seconds(s, unix_now_ms())));

  const FlusherStats& f = s.flusher;
  gauge(out, "ezapi_flusher_up",
        "1 when a flusher has attached and its heartbeat is younger than 10 s.",
        f.pid != 0 && unix_now_ms() - f.heartbeat_unix_ms < 10'000 ? "1" : "0");
  gauge(out, "ezapi_flusher_db_connected", "1 when the flusher holds a PostgreSQL connection.",
        f.db_connected ? "1" : "0");
  gauge(out, "ezapi_flusher_flushed_entries_total", "Log entries written to PostgreSQL.",
        u(f.flushed_entries), "counter");
  gauge(out, "ezapi_flusher_batches_total", "Committed COPY transactions.", u(f.batches),
        "counter");
  gauge(out, "ezapi_flusher_db_errors_total", "Failed flusher transactions or connections.",
        u(f.db_errors), "counter");
  gauge(out, "ezapi_flusher_last_flush_seconds", "Duration of the last committed batch.",
        format_value(static_cast<double>(f.last_flush_us) / 1e6));
}

Json::Value render_logq_status(const Stats& s, int64_t now_unix_ms) {
  const auto u = [](uint64_t v) { return Json::Value(Json::UInt64(v)); };
  Json::Value q(Json::objectValue);
  q["capacity_entries"] = u(s.capacity_entries);
  q["capacity_bytes"] = u(s.capacity_bytes);
  q["depth_entries"] = u(s.depth_entries);
  q["depth_bytes"] = u(s.depth_bytes);
  q["lag_entries"] = u(s.lag);
  q["oldest_unlanded_age_ms"] =
      Json::Int64(static_cast<int64_t>(oldest_unlanded_age_seconds(s, now_unix_ms) * 1000.0));
  q["enqueued_total"] = u(s.enqueued);
  q["refused_total"] = u(s.refused);
  q["abandoned_total"] = u(s.abandoned);

  const FlusherStats& f = s.flusher;
  Json::Value fl(Json::objectValue);
  const bool attached = f.pid != 0;
  const int64_t age_ms = attached ? now_unix_ms - f.heartbeat_unix_ms : -1;
  // Same rule as ezapi_flusher_up: attached and a heartbeat younger than 10 s.
  fl["up"] = attached && age_ms < 10'000;
  fl["pid"] = Json::Int64(f.pid);
  fl["heartbeat_age_ms"] = attached ? Json::Value(Json::Int64(age_ms)) : Json::Value();
  fl["db_connected"] = f.db_connected;
  fl["committed_seq"] = u(f.committed_seq);
  fl["flushed_entries_total"] = u(f.flushed_entries);
  fl["batches_total"] = u(f.batches);
  fl["db_errors_total"] = u(f.db_errors);
  fl["last_flush_ms"] = static_cast<double>(f.last_flush_us) / 1000.0;
  q["flusher"] = fl;
  return q;
}

}  // namespace ez::logq
