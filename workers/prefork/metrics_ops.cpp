// Operations families of GET /metrics: build identity, the sync outbox's backlog, and the
// counters the workers, the syncer and the master keep in the scoreboard.
#include "common/build_info.h"
#include "prefork/metrics.h"

namespace ez::prefork {

namespace {

double seconds(uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

void append_ops_metrics(const GlobalView* g, const OutboxBacklog* outbox, std::string& out) {
  append_family(out, "ezapi_build_info", "gauge",
                "Always 1; the labels name the version and git commit of this build.");
  append_sample(out, "ezapi_build_info",
                "version=\"" + escape_label(std::string(build::version())) + "\",commit=\"" +
                    escape_label(std::string(build::commit())) + "\"",
                "1");

  if (outbox) {
    append_family(out, "ezapi_outbox_pending_rows", "gauge",
                  "Changes written to PostgreSQL and not yet pushed to Redis (sync_outbox).");
    append_sample(out, "ezapi_outbox_pending_rows", "", std::to_string(outbox->rows));
    append_family(out, "ezapi_outbox_oldest_age_seconds", "gauge",
                  "Age of the oldest pending outbox row (0 when none): how stale Redis may be.");
    append_sample(out, "ezapi_outbox_oldest_age_seconds", "",
                  format_value(outbox->oldest_age_seconds));
  }

  if (!g) return;
  append_family(out, "ezapi_redis_push_failures_total", "counter",
                "Pushes to Redis that failed; their rows stay in the outbox for the replay.");
  append_sample(out, "ezapi_redis_push_failures_total", "", std::to_string(g->redis_push_failures));

  append_family(out, "ezapi_resyncs_total", "counter",
                "Full Redis rebuilds from PostgreSQL that completed.");
  append_sample(out, "ezapi_resyncs_total", "", std::to_string(g->resyncs));
  append_family(out, "ezapi_resync_duration_seconds", "summary",
                "Time the completed full resyncs took.");
  append_sample(out, "ezapi_resync_duration_seconds_sum", "",
                format_value(seconds(g->resync_ns_sum)));
  append_sample(out, "ezapi_resync_duration_seconds_count", "", std::to_string(g->resyncs));
  append_family(out, "ezapi_resync_last_duration_seconds", "gauge",
                "Duration of the last completed full resync (0 before the first).");
  append_sample(out, "ezapi_resync_last_duration_seconds", "",
                format_value(seconds(g->resync_last_ns)));

  append_family(out, "ezapi_config_reload_failures_total", "counter",
                "SIGHUP reloads refused for a bad configuration (the running one was kept).");
  append_sample(out, "ezapi_config_reload_failures_total", "", std::to_string(g->reload_failures));
}

}  // namespace ez::prefork
