#include "prefork/supervision.h"

#include <sys/wait.h>

#include <algorithm>

namespace ez::prefork {

ExitKind classify_exit(int wait_status, bool stop_requested, bool killed_for_timeout) {
  // The master's own intent wins: a worker it told to stop may exit with any code
  // (a recycled exit racing the SIGTERM, or the SIGKILL after the grace period).
  if (stop_requested) return ExitKind::stopped;
  if (killed_for_timeout) return ExitKind::timeout;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == kExitRecycled)
    return ExitKind::recycled;
  return ExitKind::crashed;
}

int next_crash_streak(int streak, milliseconds lifetime) {
  if (lifetime >= kHealthyLifetime) return 1;
  return std::max(streak, 0) + 1;
}

milliseconds respawn_delay(int streak) {
  if (streak <= 1) return milliseconds{0};
  const int doublings = std::min(streak - 2, 20);  // 2^20 * 100 ms is far past the cap
  const auto delay = kBackoffBase * (int64_t{1} << doublings);
  return std::min<milliseconds>(delay, kBackoffMax);
}

bool request_timed_out(uint64_t request_start_ns, uint64_t now_ns, uint64_t timeout_ns) {
  return request_start_ns != 0 && now_ns > request_start_ns &&
         now_ns - request_start_ns > timeout_ns;
}

bool idle_worker_stuck(uint64_t heartbeat_ns, uint64_t now_ns, uint64_t timeout_ns) {
  // Same arithmetic as a request: the time since the worker last entered accept.
  const auto floor_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(kIdleHeartbeatFloor).count());
  return request_timed_out(heartbeat_ns, now_ns, std::max(timeout_ns, floor_ns));
}

PoolAction plan_pool(const PoolCounts& c) {
  if (c.old_running > 0) {
    // Rolling: strictly one step at a time.
    if (c.stopping > 0) return PoolAction::none;
    if (c.new_running > c.new_ready) return PoolAction::none;
    if (c.new_ready + c.old_running > c.target) return PoolAction::stop_old;
    return PoolAction::spawn;
  }
  if (c.new_running < c.target) return PoolAction::spawn;
  if (c.new_running > c.target) return PoolAction::stop_new;
  return PoolAction::none;
}

}  // namespace ez::prefork
