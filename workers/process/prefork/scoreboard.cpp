#include "prefork/scoreboard.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ez::prefork {

namespace {

constexpr uint64_t kMagic = 0x31524f4353'5a45ULL;  // "EZSCOR1" little-endian-ish tag
constexpr uint32_t kVersion =
    5;  // 2: heartbeat_ns (ops) / pools (overload); 3: both; 4: push time; 5: gates
constexpr size_t kMethodWords = kMethodChars / 8;
constexpr size_t kRouteWords = kRouteChars / 8;
static_assert(kMethodChars % 8 == 0 && kRouteChars % 8 == 0);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// A reader gives up on a slot's text after this many torn reads: the writer is
// either very busy (next scrape will do) or died mid-update.
constexpr int kTextReadTries = 64;

}  // namespace

// Shared-memory layout. Only atomics (and the route names, written once before the
// workers are forked and published by the release store of route_count).
struct alignas(64) SlotData {
  std::atomic<int32_t> pid;
  std::atomic<uint32_t> state;
  std::atomic<uint32_t> generation;
  std::atomic<uint32_t> restarts;
  std::atomic<uint64_t> requests;
  std::atomic<uint64_t> started_ns;
  std::atomic<uint64_t> request_start_ns;
  std::atomic<uint64_t> heartbeat_ns;
  std::atomic<uint64_t> last_duration_ns;
  std::atomic<uint32_t> last_status;
  std::atomic<uint32_t> text_seq;  // odd while method/route are being written
  std::atomic<uint32_t> pool;      // Pool, set by the master when it claims the slot
  std::atomic<uint64_t> gate;      // the admission gate the request holds (0: none)
  std::atomic<uint64_t> method[kMethodWords];
  std::atomic<uint64_t> route[kRouteWords];
};

struct RouteName {
  char method[kMethodChars];
  char pattern[kRouteChars];
};

struct alignas(64) RouteData {
  std::atomic<uint64_t> by_status[kStatusSlots];
  std::atomic<uint64_t> buckets[kLatencySlots];
  std::atomic<uint64_t> count;
  std::atomic<uint64_t> sum_ns;
};

struct PoolData {
  std::atomic<uint32_t> workers_configured;
  std::atomic<int64_t> max_requests;
  std::atomic<int64_t> request_timeout_ms;
  std::atomic<uint64_t> restarts[kRestartReasonCount];
};

struct Layout {
  std::atomic<uint64_t> magic;  // stored last by create(): attach() sees a complete header
  uint32_t version;
  uint32_t size;
  std::atomic<int32_t> master_pid;
  std::atomic<int64_t> start_unix;
  std::atomic<uint64_t> start_mono_ns;
  std::atomic<uint32_t> workers_configured;
  std::atomic<uint32_t> generation;
  std::atomic<int64_t> max_requests;
  std::atomic<int64_t> request_timeout_ms;
  std::atomic<uint64_t> accepted;
  std::atomic<uint64_t> restarts[kRestartReasonCount];
  PoolData pools[kPoolCount];
  std::atomic<uint32_t> route_count;
  std::atomic<uint32_t> draining;
  std::atomic<uint64_t> redis_push_failures;
  std::atomic<uint64_t> resyncs;
  std::atomic<uint64_t> resync_ns_sum;
  std::atomic<uint64_t> resync_last_ns;
  std::atomic<uint64_t> reload_failures;
  std::atomic<uint64_t> redis_current_mono_ns;  // 0: not since the master started
  RouteName route_names[kMaxRoutes];
  RouteData routes[kMaxRoutes];
  SlotData slots[kMaxWorkers];
};

namespace {

template <size_t Words>
void store_text(std::atomic<uint64_t> (&dst)[Words], std::string_view text) {
  uint64_t buf[Words] = {};
  std::memcpy(buf, text.data(), std::min(text.size(), Words * 8));
  for (size_t i = 0; i < Words; ++i) dst[i].store(buf[i], std::memory_order_relaxed);
}

template <size_t Words>
std::string load_text(const std::atomic<uint64_t> (&src)[Words]) {
  uint64_t buf[Words];
  for (size_t i = 0; i < Words; ++i) buf[i] = src[i].load(std::memory_order_relaxed);
  const char* p = reinterpret_cast<const char*>(buf);
  return std::string(p, strnlen(p, Words * 8));
}

void copy_name(char* dst, size_t cap, const std::string& src) {
  std::memset(dst, 0, cap);
  std::memcpy(dst, src.data(), std::min(src.size(), cap));
}

std::string name_text(const char* src, size_t cap) {
  return std::string(src, strnlen(src, cap));
}

// The pid recorded in an existing segment if that process is alive and runs the
// same program as we do (a recycled pid of some other program does not count).
pid_t live_master_of(const std::string& name);

}  // namespace

std::string_view state_name(WorkerState s) {
  switch (s) {
    case WorkerState::free:
      return "free";
    case WorkerState::starting:
      return "starting";
    case WorkerState::idle:
      return "idle";
    case WorkerState::busy:
      return "busy";
    case WorkerState::stopping:
      return "stopping";
  }
  return "unknown";
}

std::string_view pool_name(Pool p) {
  switch (p) {
    case Pool::admin:
      return "admin";
    case Pool::ingest:
      return "ingest";
  }
  return "unknown";
}

std::string_view reason_name(RestartReason r) {
  switch (r) {
    case RestartReason::crash:
      return "crash";
    case RestartReason::timeout:
      return "timeout";
    case RestartReason::recycle:
      return "recycle";
  }
  return "unknown";
}

int status_index(int status) {
  for (size_t i = 0; i < kTrackedStatuses.size(); ++i)
    if (kTrackedStatuses[i] == status) return static_cast<int>(i);
  return kStatusSlots - 1;
}

std::string status_label(int index) {
  if (index >= 0 && index < static_cast<int>(kTrackedStatuses.size()))
    return std::to_string(kTrackedStatuses[static_cast<size_t>(index)]);
  return "other";
}

int latency_bucket(uint64_t ns) {
  for (size_t i = 0; i < kLatencyBucketsNs.size(); ++i)
    if (ns <= kLatencyBucketsNs[i]) return static_cast<int>(i);
  return kLatencySlots - 1;
}

uint64_t GlobalView::restarts_total() const {
  uint64_t n = 0;
  for (auto r : restarts) n += r;
  return n;
}

// ---- lifetime ------------------------------------------------------------------

namespace {

std::string comm_of(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/comm")
                            : "/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

pid_t live_master_of(const std::string& name) {
  try {
    const pid_t pid = Scoreboard::attach(name).global().master_pid;
    if (pid <= 0 || pid == getpid() || kill(pid, 0) != 0) return 0;
    return comm_of(pid) == comm_of(0) ? pid : 0;
  } catch (const std::exception&) {
    return 0;  // not a scoreboard of ours: garbage, replace it
  }
}

}  // namespace

Scoreboard::Scoreboard(SharedMemory shm, bool owner)
    : shm_(std::move(shm)),
      layout_(static_cast<Layout*>(shm_.data())),
      owner_(owner),
      owner_pid_(owner ? getpid() : 0) {}

Scoreboard Scoreboard::create(const std::string& name) {
  // The umask may narrow 0640, as it always could (unlike the log queue's 0660, which the
  // flusher of another user must be able to write).
  auto create_new = [&] {
    return SharedMemory::create_exclusive(name, sizeof(Layout), 0640, SharedMemory::Umask::applies);
  };
  std::optional<SharedMemory> shm = create_new();
  if (!shm) {
    // Another master running with the same server.shm_prefix would lose its status
    // page to us: refuse. Otherwise it was left behind by a master that was
    // SIGKILLed (its workers died with it: PDEATHSIG) and nothing reads it any more.
    if (const pid_t owner = live_master_of(name); owner > 0)
      throw std::runtime_error("in use by the running master pid " + std::to_string(owner));
    SharedMemory::unlink(name);
    shm = create_new();
    if (!shm) throw ShmError("shm_open " + name + ": " + std::strerror(EEXIST), EEXIST);
  }
  auto* layout = new (shm->data()) Layout();
  layout->version = kVersion;
  layout->size = static_cast<uint32_t>(sizeof(Layout));
  layout->magic.store(kMagic, std::memory_order_release);
  return Scoreboard(std::move(*shm), true);
}

Scoreboard Scoreboard::attach(const std::string& name) {
  SharedMemory shm = SharedMemory::attach(name, SharedMemory::Access::read_only, sizeof(Layout));
  const auto* layout = static_cast<const Layout*>(shm.data());
  if (layout->magic.load(std::memory_order_acquire) != kMagic || layout->version != kVersion ||
      layout->size != sizeof(Layout))
    throw std::runtime_error(name + ": not a scoreboard of this version");
  return Scoreboard(std::move(shm), false);
}

Scoreboard::Scoreboard(Scoreboard&& o) noexcept
    : shm_(std::move(o.shm_)),
      layout_(std::exchange(o.layout_, nullptr)),
      owner_(std::exchange(o.owner_, false)),
      owner_pid_(o.owner_pid_) {}

Scoreboard& Scoreboard::operator=(Scoreboard&& o) noexcept {
  if (this != &o) {
    unlink_if_owner();
    shm_ = std::move(o.shm_);
    layout_ = std::exchange(o.layout_, nullptr);
    owner_ = std::exchange(o.owner_, false);
    owner_pid_ = o.owner_pid_;
  }
  return *this;
}

Scoreboard::~Scoreboard() {
  unlink_if_owner();
}

void Scoreboard::unlink_if_owner() {
  if (!layout_ || !owner_ || getpid() != owner_pid_) return;
  // A newer master may have replaced the name meanwhile: never unlink its segment.
  shm_.unlink_if_current();
}

// ---- master --------------------------------------------------------------------

void Scoreboard::set_master(pid_t pid, int64_t start_unix) {
  layout_->master_pid.store(pid, std::memory_order_relaxed);
  layout_->start_unix.store(start_unix, std::memory_order_relaxed);
  layout_->start_mono_ns.store(monotonic_ns(), std::memory_order_relaxed);
}

void Scoreboard::set_pool(uint32_t workers_configured, uint32_t generation, int64_t max_requests,
                          int64_t request_timeout_ms) {
  layout_->workers_configured.store(workers_configured, std::memory_order_relaxed);
  layout_->generation.store(generation, std::memory_order_relaxed);
  layout_->max_requests.store(max_requests, std::memory_order_relaxed);
  layout_->request_timeout_ms.store(request_timeout_ms, std::memory_order_relaxed);
}

void Scoreboard::set_pool_config(Pool pool, uint32_t workers_configured, int64_t max_requests,
                                 int64_t request_timeout_ms) {
  PoolData& p = layout_->pools[static_cast<int>(pool)];
  p.workers_configured.store(workers_configured, std::memory_order_relaxed);
  p.max_requests.store(max_requests, std::memory_order_relaxed);
  p.request_timeout_ms.store(request_timeout_ms, std::memory_order_relaxed);
}

bool Scoreboard::set_routes(const std::vector<std::pair<std::string, std::string>>& routes) {
  if (routes.size() + 1 > static_cast<size_t>(kMaxRoutes)) return false;
  size_t i = 0;
  for (const auto& [method, pattern] : routes) {
    copy_name(layout_->route_names[i].method, kMethodChars, method);
    copy_name(layout_->route_names[i].pattern, kRouteChars, pattern);
    ++i;
  }
  copy_name(layout_->route_names[i].method, kMethodChars, "*");
  copy_name(layout_->route_names[i].pattern, kRouteChars, "unmatched");
  layout_->route_count.store(static_cast<uint32_t>(i + 1), std::memory_order_release);
  return true;
}

int Scoreboard::claim_slot(uint32_t generation, int preferred, bool is_restart, Pool pool) {
  auto try_claim = [&](int i) {
    SlotData& s = layout_->slots[i];
    uint32_t expected = static_cast<uint32_t>(WorkerState::free);
    if (!s.state.compare_exchange_strong(expected, static_cast<uint32_t>(WorkerState::starting),
                                         std::memory_order_acq_rel))
      return false;
    s.pid.store(0, std::memory_order_relaxed);
    s.pool.store(static_cast<uint32_t>(pool), std::memory_order_relaxed);
    s.generation.store(generation, std::memory_order_relaxed);
    s.restarts.store(is_restart ? s.restarts.load(std::memory_order_relaxed) + 1 : 0,
                     std::memory_order_relaxed);
    s.requests.store(0, std::memory_order_relaxed);
    s.started_ns.store(monotonic_ns(), std::memory_order_relaxed);
    s.request_start_ns.store(0, std::memory_order_relaxed);
    s.heartbeat_ns.store(0, std::memory_order_relaxed);
    s.last_duration_ns.store(0, std::memory_order_relaxed);
    s.last_status.store(0, std::memory_order_relaxed);
    s.gate.store(0, std::memory_order_relaxed);
    s.text_seq.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    store_text(s.method, "");
    store_text(s.route, "");
    s.text_seq.fetch_add(1, std::memory_order_release);
    return true;
  };
  if (preferred >= 0 && preferred < kMaxWorkers && try_claim(preferred)) return preferred;
  for (int i = 0; i < kMaxWorkers; ++i)
    if (try_claim(i)) return i;
  return -1;
}

void Scoreboard::set_slot_pid(int slot, pid_t pid) {
  layout_->slots[slot].pid.store(pid, std::memory_order_release);
}

void Scoreboard::release_slot(int slot) {
  SlotData& s = layout_->slots[slot];
  s.pid.store(0, std::memory_order_relaxed);
  s.request_start_ns.store(0, std::memory_order_relaxed);
  s.gate.store(0, std::memory_order_relaxed);
  s.state.store(static_cast<uint32_t>(WorkerState::free), std::memory_order_release);
}

void Scoreboard::count_restart(RestartReason reason, Pool pool) {
  layout_->restarts[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  layout_->pools[static_cast<int>(pool)].restarts[static_cast<int>(reason)].fetch_add(
      1, std::memory_order_relaxed);
}

void Scoreboard::count_redis_push_failure() {
  layout_->redis_push_failures.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::record_resync(uint64_t duration_ns) {
  layout_->resync_ns_sum.fetch_add(duration_ns, std::memory_order_relaxed);
  layout_->resync_last_ns.store(duration_ns, std::memory_order_relaxed);
  layout_->resyncs.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::record_redis_current(uint64_t mono_ns) {
  // Several processes report; the latest wins, never an older one that was slower to store.
  uint64_t seen = layout_->redis_current_mono_ns.load(std::memory_order_relaxed);
  while (seen < mono_ns && !layout_->redis_current_mono_ns.compare_exchange_weak(
                               seen, mono_ns, std::memory_order_relaxed)) {
  }
}

void Scoreboard::count_reload_failure() {
  layout_->reload_failures.fetch_add(1, std::memory_order_relaxed);
}

// `draining` holds one bit per pool.
void Scoreboard::set_draining() {
  layout_->draining.store((1u << kPoolCount) - 1u, std::memory_order_release);
}

void Scoreboard::set_draining(Pool pool) {
  layout_->draining.fetch_or(1u << static_cast<unsigned>(pool), std::memory_order_release);
}

bool Scoreboard::draining() const {
  return layout_->draining.load(std::memory_order_acquire) != 0;
}

bool Scoreboard::draining(Pool pool) const {
  return (layout_->draining.load(std::memory_order_acquire) &
          (1u << static_cast<unsigned>(pool))) != 0;
}

// ---- worker --------------------------------------------------------------------

void Scoreboard::worker_ready(int slot, pid_t pid) {
  SlotData& s = layout_->slots[slot];
  s.pid.store(pid, std::memory_order_relaxed);
  s.heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  s.state.store(static_cast<uint32_t>(WorkerState::idle), std::memory_order_release);
}

void Scoreboard::heartbeat(int slot, uint64_t now_ns) {
  layout_->slots[slot].heartbeat_ns.store(now_ns, std::memory_order_release);
}

void Scoreboard::worker_stopping(int slot) {
  layout_->slots[slot].state.store(static_cast<uint32_t>(WorkerState::stopping),
                                   std::memory_order_release);
}

void Scoreboard::begin_request(int slot, std::string_view method, uint64_t now_ns) {
  set_route(slot, method, "");
  SlotData& s = layout_->slots[slot];
  s.request_start_ns.store(now_ns, std::memory_order_release);
  s.state.store(static_cast<uint32_t>(WorkerState::busy), std::memory_order_release);
  layout_->accepted.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::set_route(int slot, std::string_view method, std::string_view route) {
  SlotData& s = layout_->slots[slot];
  // Sequence lock: odd while writing; readers retry (bounded) on a change.
  s.text_seq.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  store_text(s.method, method);
  store_text(s.route, route);
  s.text_seq.fetch_add(1, std::memory_order_release);
}

void Scoreboard::end_request(int slot, int route, int status, uint64_t duration_ns) {
  if (route >= 0 &&
      route < static_cast<int>(layout_->route_count.load(std::memory_order_acquire))) {
    RouteData& r = layout_->routes[route];
    r.by_status[status_index(status)].fetch_add(1, std::memory_order_relaxed);
    r.buckets[latency_bucket(duration_ns)].fetch_add(1, std::memory_order_relaxed);
    r.sum_ns.fetch_add(duration_ns, std::memory_order_relaxed);
    r.count.fetch_add(1, std::memory_order_relaxed);
  }
  SlotData& s = layout_->slots[slot];
  s.requests.fetch_add(1, std::memory_order_relaxed);
  s.last_status.store(static_cast<uint32_t>(status), std::memory_order_relaxed);
  s.last_duration_ns.store(duration_ns, std::memory_order_relaxed);
  // Fresh before the slot reads idle again: the master must not judge an idle worker
  // by the heartbeat it left before a long request.
  s.heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  s.request_start_ns.store(0, std::memory_order_release);
  s.gate.store(0, std::memory_order_release);  // whatever the handler forgot to leave
  s.state.store(static_cast<uint32_t>(WorkerState::idle), std::memory_order_release);
}

// Announce, then count: every worker publishes its gate before it counts the holders
// (sequentially consistent stores and loads), so of two workers passing at once at
// least one sees the other. The bound is never exceeded; at worst both back off.
bool Scoreboard::enter_gate(int slot, uint64_t gate, int limit) {
  if (gate == 0) return true;
  SlotData& self = layout_->slots[slot];
  self.gate.store(gate, std::memory_order_seq_cst);
  int holders = 0;
  for (int i = 0; i < kMaxWorkers; ++i) {
    const SlotData& s = layout_->slots[i];
    if (s.gate.load(std::memory_order_seq_cst) != gate) continue;
    if (static_cast<WorkerState>(s.state.load(std::memory_order_acquire)) == WorkerState::free)
      continue;
    ++holders;
  }
  if (holders <= limit) return true;
  self.gate.store(0, std::memory_order_seq_cst);
  return false;
}

void Scoreboard::leave_gate(int slot) {
  layout_->slots[slot].gate.store(0, std::memory_order_seq_cst);
}

int Scoreboard::route_index(std::string_view method, std::string_view pattern) const {
  const int n = static_cast<int>(layout_->route_count.load(std::memory_order_acquire));
  for (int i = 0; i + 1 < n; ++i) {
    const RouteName& r = layout_->route_names[i];
    if (name_text(r.pattern, kRouteChars) == pattern && name_text(r.method, kMethodChars) == method)
      return i;
  }
  return n - 1;  // "unmatched" (or -1 when no table was published)
}

int Scoreboard::unmatched_route() const {
  return static_cast<int>(layout_->route_count.load(std::memory_order_acquire)) - 1;
}

// ---- readers -------------------------------------------------------------------

GlobalView Scoreboard::global() const {
  GlobalView g;
  g.master_pid = layout_->master_pid.load(std::memory_order_relaxed);
  g.start_unix = layout_->start_unix.load(std::memory_order_relaxed);
  g.start_mono_ns = layout_->start_mono_ns.load(std::memory_order_relaxed);
  g.workers_configured = layout_->workers_configured.load(std::memory_order_relaxed);
  g.generation = layout_->generation.load(std::memory_order_relaxed);
  g.accepted = layout_->accepted.load(std::memory_order_relaxed);
  for (int i = 0; i < kRestartReasonCount; ++i)
    g.restarts[static_cast<size_t>(i)] = layout_->restarts[i].load(std::memory_order_relaxed);
  g.max_requests = layout_->max_requests.load(std::memory_order_relaxed);
  g.request_timeout_ms = layout_->request_timeout_ms.load(std::memory_order_relaxed);
  g.redis_push_failures = layout_->redis_push_failures.load(std::memory_order_relaxed);
  g.resyncs = layout_->resyncs.load(std::memory_order_relaxed);
  g.resync_ns_sum = layout_->resync_ns_sum.load(std::memory_order_relaxed);
  g.resync_last_ns = layout_->resync_last_ns.load(std::memory_order_relaxed);
  g.reload_failures = layout_->reload_failures.load(std::memory_order_relaxed);
  g.redis_current_mono_ns = layout_->redis_current_mono_ns.load(std::memory_order_relaxed);
  for (int p = 0; p < kPoolCount; ++p) {
    const PoolData& d = layout_->pools[p];
    PoolView& v = g.pools[static_cast<size_t>(p)];
    v.workers_configured = d.workers_configured.load(std::memory_order_relaxed);
    v.max_requests = d.max_requests.load(std::memory_order_relaxed);
    v.request_timeout_ms = d.request_timeout_ms.load(std::memory_order_relaxed);
    for (int i = 0; i < kRestartReasonCount; ++i)
      v.restarts[static_cast<size_t>(i)] = d.restarts[i].load(std::memory_order_relaxed);
  }
  return g;
}

SlotView Scoreboard::slot(int index) const {
  const SlotData& s = layout_->slots[index];
  SlotView v;
  v.index = index;
  v.state = static_cast<WorkerState>(s.state.load(std::memory_order_acquire));
  const uint32_t pool = s.pool.load(std::memory_order_relaxed);
  v.pool = pool < static_cast<uint32_t>(kPoolCount) ? static_cast<Pool>(pool) : Pool::admin;
  v.pid = s.pid.load(std::memory_order_relaxed);
  v.generation = s.generation.load(std::memory_order_relaxed);
  v.restarts = s.restarts.load(std::memory_order_relaxed);
  v.requests = s.requests.load(std::memory_order_relaxed);
  v.started_ns = s.started_ns.load(std::memory_order_relaxed);
  v.request_start_ns = s.request_start_ns.load(std::memory_order_acquire);
  v.heartbeat_ns = s.heartbeat_ns.load(std::memory_order_acquire);
  v.last_status = s.last_status.load(std::memory_order_relaxed);
  v.last_duration_ns = s.last_duration_ns.load(std::memory_order_relaxed);
  v.route = "?";
  for (int tries = 0; tries < kTextReadTries; ++tries) {
    const uint32_t before = s.text_seq.load(std::memory_order_acquire);
    if (before & 1u) continue;  // a write is in progress
    std::string method = load_text(s.method);
    std::string route = load_text(s.route);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.text_seq.load(std::memory_order_relaxed) != before) continue;
    v.method = std::move(method);
    v.route = std::move(route);
    break;
  }
  return v;
}

std::vector<SlotView> Scoreboard::active_slots() const {
  std::vector<SlotView> out;
  for (int i = 0; i < kMaxWorkers; ++i)
    if (layout_->slots[i].state.load(std::memory_order_acquire) !=
        static_cast<uint32_t>(WorkerState::free))
      out.push_back(slot(i));
  return out;
}

std::vector<RouteCounts> Scoreboard::route_counts() const {
  std::vector<RouteCounts> out;
  const int n = static_cast<int>(layout_->route_count.load(std::memory_order_acquire));
  for (int i = 0; i < n; ++i) {
    const RouteData& r = layout_->routes[i];
    RouteCounts c;
    c.count = r.count.load(std::memory_order_relaxed);
    if (c.count == 0) continue;
    c.method = name_text(layout_->route_names[i].method, kMethodChars);
    c.route = name_text(layout_->route_names[i].pattern, kRouteChars);
    for (int k = 0; k < kStatusSlots; ++k)
      c.by_status[static_cast<size_t>(k)] = r.by_status[k].load(std::memory_order_relaxed);
    for (int k = 0; k < kLatencySlots; ++k)
      c.buckets[static_cast<size_t>(k)] = r.buckets[k].load(std::memory_order_relaxed);
    c.sum_ns = r.sum_ns.load(std::memory_order_relaxed);
    // Each counter is read on its own while workers keep counting; Prometheus wants
    // count == the +Inf bucket, so take the count from the buckets actually read.
    c.count = 0;
    for (auto b : c.buckets) c.count += b;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ez::prefork
