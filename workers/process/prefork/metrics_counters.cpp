// The counters the workers, the syncer and the master keep in the scoreboard, as
// GET /metrics shows them.
#include "common/prometheus.h"
#include "prefork/metrics.h"

namespace ez::prefork {

using namespace ez::prometheus;

namespace {

double seconds(uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

uint64_t redis_push_age_ns(const GlobalView& global, uint64_t now_ns) {
  const uint64_t since =
      global.redis_current_mono_ns != 0 ? global.redis_current_mono_ns : global.start_mono_ns;
  return now_ns > since ? now_ns - since : 0;
}

void append_counter_metrics(const GlobalView& global, std::string& out) {
  const GlobalView* g = &global;
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
