// "Degraded" sync, defined once: Redis may be missing a change for longer than the
// operator accepts (sync.degraded_after_s). It is degraded when either
//  * the oldest pending outbox row (a change PostgreSQL holds and Redis does not yet)
//    is older than the threshold, or
//  * the last time any process of this master made Redis current (Runtime::
//    redis_push_age_seconds: an outbox push that emptied the outbox, or a syncer
//    tick that found Redis current; before the first one, the master's start) is
//    older than it.
// The second catches what the first cannot: a syncer that no longer reaches Redis
// while nothing is written, or a Redis that lost its data with no write pending.
// Degraded is a state to alert on, not a reason to refuse traffic: admin writes still
// work (they wait in the outbox), so /readyz stays 200 and says it.
#pragma once

#include <json/value.h>

#include <optional>
#include <string>

namespace ez::context {
class Context;
}

namespace ez::snapshot {

struct OutboxBacklog;

struct SyncHealth {
  bool degraded = false;
  // nullopt: unknown (PostgreSQL could not be asked / not under the master); an
  // unknown age makes nothing degraded by itself.
  std::optional<double> oldest_pending_age_s;  // 0 when nothing is pending
  std::optional<double> last_push_age_s;
  int degraded_after_s = 60;
  std::string reason;  // why it is degraded; empty when it is not
};

// The decision, pure: degraded when a known age is above `degraded_after_s`.
[[nodiscard]] SyncHealth judge_sync(std::optional<double> oldest_pending_age_s,
                                    std::optional<double> last_push_age_s, int degraded_after_s);

// The decision on this process's view: `backlog` as outbox_backlog() read it (nullopt
// when PostgreSQL could not be asked), the push age from ctx.runtime.
[[nodiscard]] SyncHealth sync_health(context::Context& ctx,
                                     const std::optional<OutboxBacklog>& backlog);

// ezapi_sync_degraded (0/1), ezapi_sync_outbox_oldest_pending_age_seconds and
// ezapi_sync_last_push_age_seconds; an unknown age is left out (a missing series,
// not a false 0).
void append_sync_metrics(const SyncHealth& health, std::string& out);

// {"degraded", "outbox_oldest_pending_age_seconds", "last_push_age_seconds",
//  "degraded_after_s", "reason" (when degraded)}; an unknown age is null.
[[nodiscard]] Json::Value sync_health_json(const SyncHealth& health);

}  // namespace ez::snapshot
