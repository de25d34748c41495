// The scoreboard: what every worker is doing, in POSIX shared memory.
//
// The master creates it before forking; the workers inherit the mapping and write
// their own slot; anyone (the /admin/status and /metrics handlers in any worker,
// the master's timeout check, ezapi-ctl) reads it. Like php-fpm's scoreboard, but
// with lock-free atomics only: a worker killed at any instruction (SIGKILL on a
// timeout, a crash) must leave nothing locked. The only multi-word values (the
// current method/route text) are guarded by a per-slot sequence counter that
// readers retry on and give up after a few tries, so a writer dying mid-update
// costs a "?" on the status page, never a hang.
//
// Ownership of the fields (one writer each, so plain stores suffice):
//   master : slot claim/release (pid, state free/starting, generation, restarts),
//            the global block (master pid, start time, generation, restarts).
//   worker : its own slot after start (state idle/busy/stopping, request fields),
//            and the shared request counters (fetch_add, many writers).
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/shm.h"
#include "common/time.h"

namespace ez::prefork {

// Slots. workers.count is capped at 512 by the config; the rest is headroom for a
// rolling reload (one extra new worker at a time) and for workers still stopping.
inline constexpr int kMaxWorkers = 1024;
inline constexpr int kMaxRoutes = 128;  // route table entries, "unmatched" included
inline constexpr size_t kMethodChars = 8;
inline constexpr size_t kRouteChars = 96;

enum class WorkerState : uint32_t {
  free = 0,      // no process in this slot
  starting = 1,  // forked, not yet accepting
  idle = 2,      // blocked in accept
  busy = 3,      // serving a request
  stopping = 4,  // told to stop, finishing up
};
inline constexpr int kWorkerStateCount = 5;
[[nodiscard]] std::string_view state_name(WorkerState s);

// Why the master replaced a worker (ezapi_worker_restarts_total{reason}).
enum class RestartReason : uint32_t { crash = 0, timeout = 1, recycle = 2 };
inline constexpr int kRestartReasonCount = 3;
[[nodiscard]] std::string_view reason_name(RestartReason r);

// Traffic classes, each served by its own pool of workers on its own socket, so that a
// flood of POST /logs cannot queue admin requests behind it (nginx routes /logs and /sync/
// to ingest, everything else to admin). One master supervises both.
enum class Pool : uint32_t { admin = 0, ingest = 1 };
inline constexpr int kPoolCount = 2;
inline constexpr std::array<Pool, kPoolCount> kPools = {Pool::admin, Pool::ingest};
[[nodiscard]] std::string_view pool_name(Pool p);

// Status codes counted one by one; anything else lands in "other".
inline constexpr std::array<int, 18> kTrackedStatuses = {
    200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503, 504};
inline constexpr int kStatusSlots = static_cast<int>(kTrackedStatuses.size()) + 1;
// Index into the per-route status counters; kStatusSlots - 1 is "other".
[[nodiscard]] int status_index(int status);
// "200", ... or "other" for the last index.
[[nodiscard]] std::string status_label(int index);

// Latency histogram upper bounds (Prometheus `le`), in nanoseconds; +Inf is implicit.
inline constexpr std::array<uint64_t, 14> kLatencyBucketsNs = {
    500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
    25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
inline constexpr int kLatencySlots = static_cast<int>(kLatencyBucketsNs.size()) + 1;
// First bucket whose bound is >= ns (kLatencySlots - 1: +Inf). Not cumulative.
[[nodiscard]] int latency_bucket(uint64_t ns);

// Times in here are monotonic_ns() (common/time.h): the same clock in every process.

// ---- read-side views (plain values, copied out of shared memory) ----------------

struct SlotView {
  int index = -1;
  Pool pool = Pool::admin;
  pid_t pid = 0;
  WorkerState state = WorkerState::free;
  uint32_t generation = 0;
  uint32_t restarts = 0;
  uint64_t requests = 0;
  uint64_t started_ns = 0;        // monotonic, when the master forked it
  uint64_t request_start_ns = 0;  // monotonic; 0 when not in a request
  uint64_t heartbeat_ns = 0;      // monotonic; last time the worker was back at accept
  uint32_t last_status = 0;
  uint64_t last_duration_ns = 0;
  std::string method;  // current (busy) or last request
  std::string route;   // "?" if a concurrent update could not be read consistently
};

struct RouteCounts {
  std::string method;
  std::string route;
  std::array<uint64_t, kStatusSlots> by_status{};
  std::array<uint64_t, kLatencySlots> buckets{};  // not cumulative
  uint64_t count = 0;
  uint64_t sum_ns = 0;
};

// One pool's settings and restart counts, as the master published them.
struct PoolView {
  uint32_t workers_configured = 0;
  int64_t max_requests = 0;
  int64_t request_timeout_ms = 0;
  std::array<uint64_t, kRestartReasonCount> restarts{};
};

struct GlobalView {
  pid_t master_pid = 0;
  int64_t start_unix = 0;
  uint64_t start_mono_ns = 0;
  uint32_t workers_configured = 0;
  uint32_t generation = 0;
  uint64_t accepted = 0;
  std::array<uint64_t, kRestartReasonCount> restarts{};
  int64_t max_requests = 0;
  int64_t request_timeout_ms = 0;
  // Operations counters (ezapi_redis_push_failures_total, ezapi_resync_*, ...).
  uint64_t redis_push_failures = 0;
  uint64_t resyncs = 0;
  uint64_t resync_ns_sum = 0;
  uint64_t resync_last_ns = 0;
  uint64_t reload_failures = 0;
  // CLOCK_MONOTONIC of the last time a process made Redis current (0: not yet).
  uint64_t redis_current_mono_ns = 0;
  std::array<PoolView, kPoolCount> pools{};  // indexed by Pool
  [[nodiscard]] uint64_t restarts_total() const;
};

struct Layout;  // shared-memory layout, private to scoreboard.cpp

class Scoreboard {
 public:
  // Master: creates (or replaces a stale) segment named `name` ("/ezapi-scoreboard") and
  // unlinks it in the destructor (only in the creating process, and only if the name
  // still refers to this segment). Throws ShmError (common/shm.h), or std::runtime_error
  // when a live master holds the name.
  [[nodiscard]] static Scoreboard create(const std::string& name);
  // Tools and tests: attach to an existing segment, read-only. Throws ShmError (also when
  // it is too small) or std::runtime_error if it is not a scoreboard of this layout.
  [[nodiscard]] static Scoreboard attach(const std::string& name);

  Scoreboard(Scoreboard&& other) noexcept;
  Scoreboard& operator=(Scoreboard&& other) noexcept;
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;
  ~Scoreboard();

  const std::string& name() const { return shm_.name(); }

  // ---- master ----
  void set_master(pid_t pid, int64_t start_unix);
  void set_pool(uint32_t workers_configured, uint32_t generation, int64_t max_requests,
                int64_t request_timeout_ms);
  // One traffic class's settings (set_pool keeps the totals and the generation).
  void set_pool_config(Pool pool, uint32_t workers_configured, int64_t max_requests,
                       int64_t request_timeout_ms);
  // Publishes the route table ("unmatched" is appended). Before forking only: workers
  // read it once at start. Returns false if there are more than kMaxRoutes - 1 routes.
  bool set_routes(const std::vector<std::pair<std::string, std::string>>& method_pattern);
  // Claims a free slot (the `preferred` one if it is free) for a new worker; -1 when
  // full. `is_restart` carries the slot's restart count over and adds one.
  [[nodiscard]] int claim_slot(uint32_t generation, int preferred = -1, bool is_restart = false,
                               Pool pool = Pool::admin);
  void set_slot_pid(int slot, pid_t pid);
  void release_slot(int slot);
  void count_restart(RestartReason reason, Pool pool = Pool::admin);
  // ---- anyone (workers, the syncer, the master) ----
  // A push to Redis that failed; its rows stay in the outbox for the replay.
  void count_redis_push_failure();
  // A full resync that completed, and how long it took.
  void record_resync(uint64_t duration_ns);
  // Redis holds what PostgreSQL pushed, as of `mono_ns` (CLOCK_MONOTONIC): a push of
  // outbox rows that emptied the outbox, or a syncer tick that found nothing missing.
  void record_redis_current(uint64_t mono_ns);
  // A SIGHUP whose configuration was rejected (the master kept the running one).
  void count_reload_failure();

  // Shutdown: the socket path is gone; workers serve the queued connections, then exit.
  // Per pool: a pool whose socket systemd holds keeps its queue for the next master, so
  // only the pools whose socket we bound (and removed) drain. No argument: every pool.
  void set_draining();
  void set_draining(Pool pool);
  [[nodiscard]] bool draining() const;  // any pool
  [[nodiscard]] bool draining(Pool pool) const;

  // ---- worker (its own slot) ----
  void worker_ready(int slot, pid_t pid);  // state idle
  // Before every accept (idle workers come back at least every kAcceptWakeup): an idle
  // slot whose heartbeat is older than the request timeout belongs to a worker that is
  // stopped (SIGSTOP) or stuck inside accept reading a half-sent request.
  void heartbeat(int slot, uint64_t now_ns);
  void worker_stopping(int slot);
  // Busy from `now_ns` (the request timeout counts from here); the route is not known
  // until the request has been read and matched: set_route() fills it in.
  void begin_request(int slot, std::string_view method, uint64_t now_ns);
  void set_route(int slot, std::string_view method, std::string_view route);
  // Counts the request (route index from route_index()) and marks the slot idle.
  void end_request(int slot, int route, int status, uint64_t duration_ns);
  // Admission gates: a bound on how many requests of one kind run at once on this host
  // (exports, one caller's log searches). `gate` names the kind (never 0); true when the
  // slot now holds it, false when `limit` other slots already do. end_request() leaves
  // the gate too, and a slot the master reclaims holds none, so a worker that dies in a
  // request never leaks a place.
  [[nodiscard]] bool enter_gate(int slot, uint64_t gate, int limit);
  void leave_gate(int slot);
  // Index of (method, pattern) in the route table, or the "unmatched" index.
  [[nodiscard]] int route_index(std::string_view method, std::string_view pattern) const;
  [[nodiscard]] int unmatched_route() const;

  // ---- readers ----
  [[nodiscard]] GlobalView global() const;
  [[nodiscard]] SlotView slot(int index) const;
  // Every slot that is not free.
  [[nodiscard]] std::vector<SlotView> active_slots() const;
  // Routes that have served at least one request.
  [[nodiscard]] std::vector<RouteCounts> route_counts() const;

 private:
  Scoreboard(SharedMemory shm, bool owner);
  void unlink_if_owner();

  SharedMemory shm_;
  Layout* layout_ = nullptr;
  bool owner_ = false;   // unlink the name on destruction (creator only)
  pid_t owner_pid_ = 0;  // ... and only in that process, not in forked workers
                         // (and only if the name still refers to our segment)
};

}  // namespace ez::prefork
