#include "prefork/metrics.h"

#include <array>
#include <charconv>
#include <cmath>

#include "common/prometheus.h"

namespace ez::prefork {

using namespace ez::prometheus;

namespace {

std::string label(const char* name, const std::string& value) {
  return std::string(name) + "=\"" + escape_label(value) + "\"";
}

double seconds(uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}
int64_t millis(uint64_t ns) {
  return static_cast<int64_t>(ns / 1'000'000);
}

}  // namespace

std::string render_pool_metrics(const GlobalView& g, const std::vector<SlotView>& slots,
                                const std::vector<RouteCounts>& routes) {
  std::string out;
  out.reserve(4096 + routes.size() * 2048);

  append_family(out, "ezapi_up", "gauge", "1 when the EZ-API worker pool answers.");
  append_sample(out, "ezapi_up", "", "1");

  append_family(out, "ezapi_master_start_time_seconds", "gauge",
                "Start time of the prefork master, Unix seconds.");
  append_sample(out, "ezapi_master_start_time_seconds", "", std::to_string(g.start_unix));

  append_family(out, "ezapi_config_generation", "gauge",
                "Config generation of the pool (1 at start, +1 per successful reload).");
  append_sample(out, "ezapi_config_generation", "", std::to_string(g.generation));

  append_family(out, "ezapi_workers_configured", "gauge",
                "Worker processes configured (workers.count).");
  append_sample(out, "ezapi_workers_configured", "", std::to_string(g.workers_configured));

  std::array<int, kWorkerStateCount> by_state{};
  for (const auto& s : slots) {
    const auto i = static_cast<size_t>(s.state);
    if (i < by_state.size()) ++by_state[i];
  }
  append_family(out, "ezapi_workers", "gauge", "Worker processes by state.");
  for (auto st :
       {WorkerState::starting, WorkerState::idle, WorkerState::busy, WorkerState::stopping})
    append_sample(out, "ezapi_workers", label("state", std::string(state_name(st))),
                  std::to_string(by_state[static_cast<size_t>(st)]));

  append_family(out, "ezapi_worker_restarts_total", "counter",
                "Workers replaced by the master, by reason (crash, timeout, recycle).");
  for (int r = 0; r < kRestartReasonCount; ++r)
    append_sample(out, "ezapi_worker_restarts_total",
                  label("reason", std::string(reason_name(static_cast<RestartReason>(r)))),
                  std::to_string(g.restarts[static_cast<size_t>(r)]));

  // The same, per traffic class (Pool): ezapi_pool_* families carry a `pool` label, so the
  // unlabelled totals above keep their meaning and a sum over pools does not double count.
  std::array<std::array<int, kWorkerStateCount>, kPoolCount> by_pool{};
  for (const auto& s : slots) {
    const auto p = static_cast<size_t>(s.pool), i = static_cast<size_t>(s.state);
    if (p < by_pool.size() && i < by_pool[p].size()) ++by_pool[p][i];
  }
  append_family(out, "ezapi_pool_workers_configured", "gauge",
                "Worker processes configured, per traffic class (workers.count for admin, "
                "workers.ingest.count for ingest).");
  for (Pool p : kPools)
    append_sample(out, "ezapi_pool_workers_configured", label("pool", std::string(pool_name(p))),
                  std::to_string(g.pools[static_cast<size_t>(p)].workers_configured));
  append_family(out, "ezapi_pool_workers", "gauge", "Worker processes by traffic class and state.");
  for (Pool p : kPools)
    for (auto st :
         {WorkerState::starting, WorkerState::idle, WorkerState::busy, WorkerState::stopping})
      append_sample(out, "ezapi_pool_workers",
                    label("pool", std::string(pool_name(p))) + "," +
                        label("state", std::string(state_name(st))),
                    std::to_string(by_pool[static_cast<size_t>(p)][static_cast<size_t>(st)]));
  append_family(out, "ezapi_pool_worker_restarts_total", "counter",
                "Workers replaced by the master, by traffic class and reason.");
  for (Pool p : kPools)
    for (int r = 0; r < kRestartReasonCount; ++r)
      append_sample(
          out, "ezapi_pool_worker_restarts_total",
          label("pool", std::string(pool_name(p))) + "," +
              label("reason", std::string(reason_name(static_cast<RestartReason>(r)))),
          std::to_string(g.pools[static_cast<size_t>(p)].restarts[static_cast<size_t>(r)]));

  append_family(out, "ezapi_requests_accepted_total", "counter",
                "Requests the workers accepted since the master started.");
  append_sample(out, "ezapi_requests_accepted_total", "", std::to_string(g.accepted));

  append_family(out, "ezapi_http_requests_total", "counter",
                "Requests served, by route pattern and HTTP status.");
  for (const auto& r : routes) {
    const std::string base = label("method", r.method) + "," + label("route", r.route);
    for (int i = 0; i < kStatusSlots; ++i) {
      const uint64_t n = r.by_status[static_cast<size_t>(i)];
      if (n == 0) continue;
      append_sample(out, "ezapi_http_requests_total", base + "," + label("status", status_label(i)),
                    std::to_string(n));
    }
  }

  append_family(out, "ezapi_http_request_duration_seconds", "histogram",
                "Time from accepting a request to finishing its response, by route pattern.");
  for (const auto& r : routes) {
    const std::string base = label("method", r.method) + "," + label("route", r.route);
    uint64_t cumulative = 0;
    for (int i = 0; i < kLatencySlots; ++i) {
      cumulative += r.buckets[static_cast<size_t>(i)];
      const std::string le = i < static_cast<int>(kLatencyBucketsNs.size())
                                 ? format_value(seconds(kLatencyBucketsNs[static_cast<size_t>(i)]))
                                 : "+Inf";
      append_sample(out, "ezapi_http_request_duration_seconds_bucket", base + "," + label("le", le),
                    std::to_string(cumulative));
    }
    append_sample(out, "ezapi_http_request_duration_seconds_sum", base,
                  format_value(seconds(r.sum_ns)));
    append_sample(out, "ezapi_http_request_duration_seconds_count", base,
                  std::to_string(cumulative));
  }
  return out;
}

Json::Value render_status(const GlobalView& g, const std::vector<SlotView>& slots,
                          uint64_t now_ns) {
  Json::Value doc(Json::objectValue);
  doc["pool"] = "ezapi";
  doc["process_manager"] = "static";
  doc["master_pid"] = static_cast<Json::Int64>(g.master_pid);
  doc["start_time"] = static_cast<Json::Int64>(g.start_unix);
  doc["start_since"] = static_cast<Json::Int64>(
      g.start_mono_ns && now_ns > g.start_mono_ns ? (now_ns - g.start_mono_ns) / 1'000'000'000 : 0);
  doc["generation"] = g.generation;
  doc["workers_configured"] = g.workers_configured;
  doc["max_requests"] = static_cast<Json::Int64>(g.max_requests);
  doc["request_timeout_ms"] = static_cast<Json::Int64>(g.request_timeout_ms);
  doc["accepted_total"] = static_cast<Json::UInt64>(g.accepted);
  doc["restarts_total"] = static_cast<Json::UInt64>(g.restarts_total());
  Json::Value restarts(Json::objectValue);
  for (int r = 0; r < kRestartReasonCount; ++r)
    restarts[std::string(reason_name(static_cast<RestartReason>(r)))] =
        static_cast<Json::UInt64>(g.restarts[static_cast<size_t>(r)]);
  doc["restarts"] = restarts;

  std::array<int, kWorkerStateCount> by_state{};
  Json::Value workers(Json::arrayValue);
  for (const auto& s : slots) {
    const auto st = static_cast<size_t>(s.state);
    if (st < by_state.size()) ++by_state[st];
    Json::Value w(Json::objectValue);
    w["slot"] = s.index;
    w["pool"] = std::string(pool_name(s.pool));
    w["pid"] = static_cast<Json::Int64>(s.pid);
    w["state"] = std::string(state_name(s.state));
    w["generation"] = s.generation;
    w["requests"] = static_cast<Json::UInt64>(s.requests);
    w["restarts"] = s.restarts;
    w["uptime_ms"] = static_cast<Json::Int64>(
        s.started_ns && now_ns > s.started_ns ? millis(now_ns - s.started_ns) : 0);
    const bool in_request = s.state == WorkerState::busy && s.request_start_ns != 0;
    // Busy: the request being served and its age (what an operator looks for when the
    // pool is stuck). Otherwise: the last request, as php-fpm shows it.
    w["method"] = s.method;
    w["route"] = s.route;
    if (in_request)
      w["request_age_ms"] = static_cast<Json::Int64>(
          now_ns > s.request_start_ns ? millis(now_ns - s.request_start_ns) : 0);
    else
      w["request_age_ms"] = Json::nullValue;
    w["last_status"] = s.last_status;
    w["last_duration_us"] = static_cast<Json::UInt64>(s.last_duration_ns / 1000);
    workers.append(w);
  }
  doc["workers_starting"] = by_state[static_cast<size_t>(WorkerState::starting)];
  doc["workers_idle"] = by_state[static_cast<size_t>(WorkerState::idle)];
  doc["workers_busy"] = by_state[static_cast<size_t>(WorkerState::busy)];
  doc["workers_stopping"] = by_state[static_cast<size_t>(WorkerState::stopping)];
  doc["workers"] = workers;

  // Per traffic class: its settings, restarts and workers by state (the top-level figures
  // above are the totals over both pools).
  Json::Value pools(Json::objectValue);
  for (Pool p : kPools) {
    const PoolView& pv = g.pools[static_cast<size_t>(p)];
    Json::Value o(Json::objectValue);
    o["workers_configured"] = pv.workers_configured;
    o["max_requests"] = static_cast<Json::Int64>(pv.max_requests);
    o["request_timeout_ms"] = static_cast<Json::Int64>(pv.request_timeout_ms);
    Json::Value r(Json::objectValue);
    uint64_t total = 0;
    for (int i = 0; i < kRestartReasonCount; ++i) {
      total += pv.restarts[static_cast<size_t>(i)];
      r[std::string(reason_name(static_cast<RestartReason>(i)))] =
          static_cast<Json::UInt64>(pv.restarts[static_cast<size_t>(i)]);
    }
    o["restarts_total"] = static_cast<Json::UInt64>(total);
    o["restarts"] = r;
    std::array<int, kWorkerStateCount> st{};
    for (const auto& s : slots)
      if (s.pool == p && static_cast<size_t>(s.state) < st.size())
        ++st[static_cast<size_t>(s.state)];
    o["workers_starting"] = st[static_cast<size_t>(WorkerState::starting)];
    o["workers_idle"] = st[static_cast<size_t>(WorkerState::idle)];
    o["workers_busy"] = st[static_cast<size_t>(WorkerState::busy)];
    o["workers_stopping"] = st[static_cast<size_t>(WorkerState::stopping)];
    pools[std::string(pool_name(p))] = o;
  }
  doc["pools"] = pools;
  return doc;
}

}  // namespace ez::prefork
