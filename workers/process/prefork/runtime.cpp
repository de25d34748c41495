#include "prefork/runtime.h"

#include "common/time.h"
#include "prefork/metrics.h"

namespace ez::prefork {

void ScoreboardRuntime::count_redis_push_failure() {
  sb_.count_redis_push_failure();
}

void ScoreboardRuntime::record_resync(uint64_t duration_ns) {
  sb_.record_resync(duration_ns);
}

void ScoreboardRuntime::record_redis_current() {
  sb_.record_redis_current(monotonic_ns());
}

double ScoreboardRuntime::redis_push_age_seconds() const {
  const GlobalView g = sb_.global();
  return static_cast<double>(redis_push_age_ns(g, monotonic_ns())) / 1e9;
}

bool ScoreboardRuntime::enter_gate(uint64_t gate, int limit) {
  return slot_ < 0 || sb_.enter_gate(slot_, gate, limit);
}

void ScoreboardRuntime::leave_gate() {
  if (slot_ >= 0) sb_.leave_gate(slot_);
}

std::string ScoreboardRuntime::metrics_text() const {
  const GlobalView global = sb_.global();
  std::string out = render_pool_metrics(global, sb_.active_slots(), sb_.route_counts());
  append_counter_metrics(global, out);
  return out;
}

Json::Value ScoreboardRuntime::status() const {
  return render_status(sb_.global(), sb_.active_slots(), monotonic_ns());
}

}  // namespace ez::prefork
