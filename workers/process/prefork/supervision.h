// The master's decisions, as pure functions: no clocks, no processes, no signals.
// master.cpp feeds them what it observed; the unit tests feed them made-up states.
#pragma once

#include <chrono>
#include <cstdint>

namespace ez::prefork {

using std::chrono::milliseconds;

// ---- worker exit codes: the small vocabulary between worker and master ----------
enum WorkerExit : int {
  kExitStopped = 0,    // asked to stop (SIGTERM/SIGINT) and did
  kExitFatal = 1,      // could not start or the listen socket broke: a crash
  kExitRecycled = 75,  // served workers.max_requests requests; replace it now
};

// How a worker ended, as the master sees it.
enum class ExitKind {
  stopped,   // the master asked it to stop: do not replace (rolling, shutdown)
  recycled,  // max_requests reached: replace at once, not a failure
  timeout,   // the master killed it for a request over request_timeout_ms: replace at once
  crashed,   // anything else (signal, non-zero exit, unexpected clean exit): replace,
             // with back-off when it keeps happening
};

// `wait_status` is the raw status from waitpid().
[[nodiscard]] ExitKind classify_exit(int wait_status, bool stop_requested, bool killed_for_timeout);

// ---- crash-loop back-off ---------------------------------------------------------

// A worker that dies younger than this counts towards a crash loop.
inline constexpr milliseconds kHealthyLifetime{1000};
inline constexpr milliseconds kBackoffBase{100};
inline constexpr milliseconds kBackoffMax{10000};

// Consecutive quick crashes after a crash that happened `lifetime` after its start:
// a worker that lived long enough starts a new streak.
[[nodiscard]] int next_crash_streak(int streak, milliseconds lifetime);
// Delay before respawning after the streak-th crash in a row: the first replacement
// is immediate (one crash is an incident, not a loop), then 100 ms doubling up to 10 s.
[[nodiscard]] milliseconds respawn_delay(int streak);

// ---- request timeout -------------------------------------------------------------

// True when the worker is in a request (start != 0) that has run longer than timeout.
[[nodiscard]] bool request_timed_out(uint64_t request_start_ns, uint64_t now_ns,
                                     uint64_t timeout_ns);

// True when an idle worker (heartbeat != 0) has not come back to accept for longer
// than timeout: it is stopped (SIGSTOP, a debugger) or blocked inside libfcgi's
// accept reading a request whose client sent only part of it (the params are read
// before the worker can mark itself busy). Either way it serves nobody: replace it.
// The allowance is never below kIdleHeartbeatFloor: an idle worker legitimately stays
// inside accept for the accept wake-up (200 ms) and, on a fresh connection that has not
// sent its first byte yet, for libfcgi's own wait of up to 2 s.
inline constexpr milliseconds kIdleHeartbeatFloor{3000};
[[nodiscard]] bool idle_worker_stuck(uint64_t heartbeat_ns, uint64_t now_ns, uint64_t timeout_ns);

// ---- rolling reload --------------------------------------------------------------

// The pool as the roll sees it. "New" workers run the current config generation.
struct PoolCounts {
  int target = 0;       // workers.count of the current config
  int new_running = 0;  // new generation, not asked to stop (includes starting ones)
  int new_ready = 0;    // ... of which have reached the accept loop
  int old_running = 0;  // older generations, not asked to stop
  int stopping = 0;     // asked to stop, not yet exited (any generation)
};

enum class PoolAction {
  none,      // wait (a worker is starting or stopping, or nothing to do)
  spawn,     // fork one worker of the current generation
  stop_old,  // gracefully stop one worker of an older generation
  stop_new,  // gracefully stop one surplus worker of the current generation
};

// One step towards `target` workers of the current generation. While old workers
// remain it rolls them one at a time -- start a new one, wait until it accepts,
// then stop one old one -- so capacity never drops below min(old, target).
// Without old workers it fills the pool up to target (all at once: that is the
// start-up and crash-replacement case) or trims a surplus.
[[nodiscard]] PoolAction plan_pool(const PoolCounts& c);

}  // namespace ez::prefork
