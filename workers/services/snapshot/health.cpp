#include "snapshot/health.h"

#include "common/prometheus.h"
#include "common/runtime.h"
#include "context/context.h"
#include "snapshot/backlog.h"

namespace ez::snapshot {
namespace {

std::string whole_seconds(double s) {
  return std::to_string(static_cast<long long>(s));
}

}  // namespace

SyncHealth judge_sync(std::optional<double> oldest_pending_age_s,
                      std::optional<double> last_push_age_s, int degraded_after_s) {
  SyncHealth h;
  h.oldest_pending_age_s = oldest_pending_age_s;
  h.last_push_age_s = last_push_age_s;
  h.degraded_after_s = degraded_after_s;
  const double limit = degraded_after_s;
  if (oldest_pending_age_s && *oldest_pending_age_s > limit)
    h.reason =
        "the oldest pending outbox row is " + whole_seconds(*oldest_pending_age_s) + " s old";
  if (last_push_age_s && *last_push_age_s > limit)
    h.reason += std::string(h.reason.empty() ? "" : "; ") + "Redis was last made current " +
                whole_seconds(*last_push_age_s) + " s ago";
  if (!h.reason.empty())
    h.reason += " (sync.degraded_after_s " + std::to_string(degraded_after_s) + ")";
  h.degraded = !h.reason.empty();
  return h;
}

SyncHealth sync_health(context::Context& ctx, const std::optional<OutboxBacklog>& backlog) {
  std::optional<double> pending;
  if (backlog) pending = backlog->oldest_age_seconds;
  std::optional<double> push;
  if (ctx.runtime) push = ctx.runtime->redis_push_age_seconds();
  return judge_sync(pending, push, ctx.settings().sync_degraded_after_s);
}

void append_sync_metrics(const SyncHealth& h, std::string& out) {
  using namespace ez::prometheus;
  append_family(out, "ezapi_sync_degraded", "gauge",
                "1 when the oldest pending outbox row or the last push to Redis is older than "
                "sync.degraded_after_s.");
  append_sample(out, "ezapi_sync_degraded", "", h.degraded ? "1" : "0");
  if (h.oldest_pending_age_s) {
    append_family(out, "ezapi_sync_outbox_oldest_pending_age_seconds", "gauge",
                  "Age of the oldest change PostgreSQL holds and Redis does not (0 when none).");
    append_sample(out, "ezapi_sync_outbox_oldest_pending_age_seconds", "",
                  format_value(*h.oldest_pending_age_s));
  }
  if (h.last_push_age_s) {
    append_family(out, "ezapi_sync_last_push_age_seconds", "gauge",
                  "Seconds since a process last made Redis current (a push, a resync, or a "
                  "syncer check that found it current); since the master's start before that.");
    append_sample(out, "ezapi_sync_last_push_age_seconds", "", format_value(*h.last_push_age_s));
  }
}

Json::Value sync_health_json(const SyncHealth& h) {
  Json::Value v(Json::objectValue);
  v["degraded"] = h.degraded;
  v["outbox_oldest_pending_age_seconds"] =
      h.oldest_pending_age_s ? Json::Value(*h.oldest_pending_age_s) : Json::Value();
  v["last_push_age_seconds"] = h.last_push_age_s ? Json::Value(*h.last_push_age_s) : Json::Value();
  v["degraded_after_s"] = h.degraded_after_s;
  if (h.degraded) v["reason"] = h.reason;
  return v;
}

}  // namespace ez::snapshot
