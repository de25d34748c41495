#include "prefork/master.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "common/fd.h"
#include "common/log.h"
#include "common/pid_file.h"
#include "logq/ring.h"
#include "prefork/application.h"
#include "prefork/listen_socket.h"
#include "prefork/pools.h"
#include "prefork/scoreboard.h"
#include "prefork/supervision.h"
#include "prefork/syncer.h"
#include "prefork/worker.h"

namespace ez::prefork {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;

// How often the loop wakes without a signal: the granularity of the request-timeout
// check and of the back-off timer.
constexpr milliseconds kTick{100};

int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return duration_cast<milliseconds>(b - a).count();
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return std::string("killed by SIG") + (name ? name : std::to_string(sig).c_str()) +
           (WCOREDUMP(status) ? " (core dumped)" : "");
  }
  return "ended with status " + std::to_string(status);
}

void notify(const std::string& state) {
  // A no-op (returns 0) when NOTIFY_SOCKET is not set: no need to check first.
  sd_notify(0, state.c_str());
}

struct Child {
  pid_t pid = 0;
  int slot = -1;
  Pool pool = Pool::admin;  // the traffic class it serves (its socket, its timeout)
  uint32_t generation = 0;
  Clock::time_point started;
  bool stop_requested = false;  // SIGTERM sent: finishing up, not to be replaced
  Clock::time_point kill_at{};  // SIGKILL if still alive then (stop_requested only)
  bool kill_sent = false;
  bool timeout_killed = false;  // SIGKILLed for a request over the timeout
};

class Master {
 public:
  Master(config::Loaded loaded, const MasterOptions& options, Application& app)
      : options_(options), settings_(std::move(loaded.settings)), app_(app) {}

  int run() {
    if (!start()) return kMasterStartFailed;
    loop();
    log::info("master stopped");
    return kMasterOk;
  }

 private:
  // ---- start-up ------------------------------------------------------------------

  bool start() {
    // Everything the loop reacts to arrives through the signalfd. The mask is set
    // before anything is forked; each worker replaces it with its own.
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    // An inherited SIG_IGN (nohup ignores SIGHUP; some shells ignore SIGCHLD) would
    // discard the signal before it ever reaches the signalfd.
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal_fd_ = std::make_unique<UniqueFd>(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (signal_fd_->get() < 0) {
      log::error(std::string("signalfd: ") + std::strerror(errno));
      return false;
    }

    try {
      for (Pool p : kPools)
        listen_[pix(p)].emplace(ListenSocket::open(spec(p).socket, settings_.fastcgi_socket_mode,
                                                   settings_.fastcgi_backlog));
    } catch (const std::exception& e) {
      log::error(e.what());
      return false;
    }

    try {
      scoreboard_.emplace(Scoreboard::create(settings_.scoreboard_shm_name()));
    } catch (const std::exception& e) {
      log::error(std::string("server.shm_prefix: cannot create the scoreboard: ") + e.what());
      return false;
    }
    scoreboard_->set_master(getpid(), static_cast<int64_t>(std::time(nullptr)));
    publish_pool();
    if (!scoreboard_->set_routes(app_.routes()))
      log::warn("more routes than the scoreboard holds: per-route metrics are incomplete");

    // The log queue lives as long as the host (the flusher drains it across our
    // restarts); whoever starts first creates it. A mismatch with a queue created
    // under other settings would silently lose /logs: refuse to start instead.
    try {
      logq::RingOptions ro;
      ro.name = settings_.logq_shm_name();
      ro.capacity_entries = static_cast<uint64_t>(settings_.log_queue_capacity);
      ro.capacity_bytes = static_cast<uint64_t>(settings_.log_queue_bytes);
      ring_.emplace(logq::Ring::open(ro));
    } catch (const std::exception& e) {
      log::error(std::string("log.queue_capacity: cannot open the log queue: ") + e.what());
      return false;
    }

    if (options_.pid_file) {
      try {
        pid_file_ = std::make_unique<PidFile>(*options_.pid_file);
      } catch (const std::exception& e) {
        log::error(e.what());
        return false;
      }
    }
    for (Pool p : kPools) {
      const PoolSpec ps = spec(p);
      log::info("pid " + std::to_string(getpid()) + ": pool " + std::string(pool_name(p)) +
                " listening on " + listen_[pix(p)]->describe() + ", " + std::to_string(ps.count) +
                " workers, max_requests " + std::to_string(ps.max_requests) + ", request timeout " +
                std::to_string(ps.request_timeout_ms) + " ms");
    }
    return true;
  }

  // The traffic classes' settings, from the running configuration (pools.h).
  PoolSpec spec(Pool p) const { return pool_spec(settings_, p); }
  static size_t pix(Pool p) { return static_cast<size_t>(p); }

  void publish_pool() {
    int total = 0;
    for (Pool p : kPools) {
      const PoolSpec ps = spec(p);
      total += ps.count;
      scoreboard_->set_pool_config(p, static_cast<uint32_t>(ps.count), ps.max_requests,
                                   ps.request_timeout_ms);
    }
    scoreboard_->set_pool(static_cast<uint32_t>(total), generation_, settings_.workers_max_requests,
                          settings_.workers_request_timeout_ms);
  }

  // ---- the loop ------------------------------------------------------------------

  void loop() {
    for (;;) {
      const auto now = Clock::now();
      enforce_deadlines(now);
      if (!stopping_) {
        reconcile(now);
        ensure_syncer(now);
        maybe_report_ready();
      } else if (children_.empty() && syncer_pid_ <= 0) {
        return;
      }

      pollfd pfd{signal_fd_->get(), POLLIN, 0};
      const int rc = poll(&pfd, 1, static_cast<int>(kTick.count()));
      if (rc < 0 && errno != EINTR) {
        log::error(std::string("poll: ") + std::strerror(errno));
        continue;
      }
      if (rc > 0) read_signals();
    }
  }

  void read_signals() {
    bool chld = false, hup = false;
    int stop_sig = 0;
    signalfd_siginfo si{};
    while (read(signal_fd_->get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      switch (si.ssi_signo) {
        case SIGCHLD:
          chld = true;
          break;
        case SIGHUP:
          hup = true;
          break;
        case SIGTERM:
        case SIGINT:
          // Two stop signals in one read (e.g. Ctrl-C and systemd) count once.
          stop_sig = static_cast<int>(si.ssi_signo);
          break;
        default:
          break;
      }
    }
    // Reap first: a reload or a shutdown must see the pool as it is.
    if (chld) reap();
    if (stop_sig) begin_shutdown(stop_sig);
    if (hup) reload();
  }

  // ---- children ------------------------------------------------------------------

  bool is_ready(const Child& c) const {
    const WorkerState s = scoreboard_->slot(c.slot).state;
    return s == WorkerState::idle || s == WorkerState::busy;
  }

  PoolCounts counts(Pool pool) const {
    PoolCounts pc;
    pc.target = spec(pool).count;
    for (const auto& [pid, c] : children_) {
      if (c.pool != pool) continue;
      if (c.stop_requested) {
        ++pc.stopping;
      } else if (c.generation == generation_) {
        ++pc.new_running;
        if (is_ready(c)) ++pc.new_ready;
      } else {
        ++pc.old_running;
      }
    }
    return pc;
  }

  void reconcile(Clock::time_point now) {
    for (Pool p : kPools) reconcile(now, p);
  }

  // Each pool on its own: a crash loop in one (its back-off) does not hold the other.
  void reconcile(Clock::time_point now, Pool pool) {
    // plan_pool() asks for one step at a time; at start-up (or after several
    // crashes) it keeps asking for spawns until the pool is full.
    for (int step = 0; step <= kMaxWorkers; ++step) {
      switch (plan_pool(counts(pool))) {
        case PoolAction::none:
          return;
        case PoolAction::spawn:
          if (now < runtime_[pix(pool)].spawn_not_before || !spawn(now, pool)) return;
          break;
        case PoolAction::stop_old:
          stop_one(now, /*old_generation=*/true, pool);
          return;
        case PoolAction::stop_new:
          stop_one(now, /*old_generation=*/false, pool);
          return;
      }
    }
  }

  bool spawn(Clock::time_point now, Pool pool) {
    PoolRuntime& rt = runtime_[pix(pool)];
    int preferred = -1;
    bool is_restart = false;
    if (!rt.refill_slots.empty()) {
      // A replacement takes over its predecessor's slot, so the slot's restart count
      // tells an operator which position keeps failing.
      preferred = rt.refill_slots.front();
      rt.refill_slots.pop_front();
      is_restart = true;
    }
    const int slot = scoreboard_->claim_slot(generation_, preferred, is_restart, pool);
    if (slot < 0) {
      log::error("scoreboard full: cannot start another worker");
      rt.spawn_not_before = now + kBackoffMax;
      return false;
    }
    const pid_t master_pid = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      log::error(std::string("fork: ") + std::strerror(errno));
      scoreboard_->release_slot(slot);
      rt.spawn_not_before = now + milliseconds{1000};
      return false;
    }
    if (pid == 0) {
      // The child. Never return from here: unwinding would run the master's
      // destructors (socket path, scoreboard, pid file) in the worker.
      close(signal_fd_->get());
      WorkerSpec spec;
      spec.settings = &settings_;
      spec.listen_fd = listen_[pix(pool)]->fd();
      // The other pools' sockets are not this worker's business.
      for (Pool other : kPools)
        if (other != pool) close(listen_[pix(other)]->fd());
      spec.scoreboard = &*scoreboard_;
      spec.slot = slot;
      spec.generation = generation_;
      spec.log_queue = ring_ ? &*ring_ : nullptr;
      spec.master_pid = master_pid;
      spec.app = &app_;
      int code = kExitFatal;
      try {
        code = run_worker(spec);
      } catch (const std::exception& e) {
        log::error(std::string("worker failed: ") + e.what());
      }
      _exit(code);
    }
    scoreboard_->set_slot_pid(slot, pid);
    Child c;
    c.pid = pid;
    c.slot = slot;
    c.pool = pool;
    c.generation = generation_;
    c.started = now;
    children_.emplace(pid, c);
    log::debug("started " + std::string(pool_name(pool)) + " worker pid " + std::to_string(pid) +
               " in slot " + std::to_string(slot) + " (generation " + std::to_string(generation_) +
               ")");
    return true;
  }

  void request_stop(Child& c, Clock::time_point now) {
    if (c.stop_requested) return;
    c.stop_requested = true;
    // Long enough for a request that started just now to run into its own timeout,
    // plus the accept wake-up and some slack; then it is killed.
    c.kill_at =
        now + milliseconds{spec(c.pool).request_timeout_ms} + kAcceptWakeup + milliseconds{1000};
    kill(c.pid, SIGTERM);
  }

  void stop_one(Clock::time_point now, bool old_generation, Pool pool) {
    // Prefer an idle worker: it exits within the accept wake-up, while a busy one
    // first finishes its request (the roll waits for it either way).
    Child* pick = nullptr;
    bool pick_idle = false;
    for (auto& [pid, c] : children_) {
      if (c.pool != pool || c.stop_requested || (c.generation != generation_) != old_generation)
        continue;
      const bool idle = scoreboard_->slot(c.slot).state == WorkerState::idle;
      if (!pick || (idle && !pick_idle)) {
        pick = &c;
        pick_idle = idle;
      }
    }
    if (!pick) return;
    log::info("stopping worker pid " + std::to_string(pick->pid) + " (generation " +
              std::to_string(pick->generation) + ")");
    request_stop(*pick, now);
  }

  void enforce_deadlines(Clock::time_point now) {
    const uint64_t now_ns = monotonic_ns();
    for (auto& [pid, c] : children_) {
      if (c.timeout_killed || c.kill_sent) continue;
      const int timeout_ms = spec(c.pool).request_timeout_ms;  // each pool its own
      const uint64_t timeout_ns = static_cast<uint64_t>(timeout_ms) * 1'000'000ULL;
      const SlotView s = scoreboard_->slot(c.slot);
      if (s.state == WorkerState::busy &&
          request_timed_out(s.request_start_ns, now_ns, timeout_ns)) {
        // A stuck request would hold the worker forever; php-fpm's
        // request_terminate_timeout. nginx sees the connection drop (502).
        log::warn("worker pid " + std::to_string(pid) + ": " + s.method + " " +
                  (s.route.empty() ? std::string("(request still being read)") : s.route) +
                  " running for " + std::to_string((now_ns - s.request_start_ns) / 1'000'000) +
                  " ms (request timeout of the " + std::string(pool_name(c.pool)) + " pool, " +
                  std::to_string(timeout_ms) + " ms): killing it");
        c.timeout_killed = true;
        kill(pid, SIGKILL);
      } else if (s.state == WorkerState::idle &&
                 idle_worker_stuck(s.heartbeat_ns, now_ns, timeout_ns)) {
        // Idle workers come back to accept every kAcceptWakeup; this one has not: it is
        // stopped (SIGSTOP) or inside accept with a client that sent part of a request.
        log::warn("worker pid " + std::to_string(pid) + " has not come back to accept for " +
                  std::to_string((now_ns - s.heartbeat_ns) / 1'000'000) +
                  " ms (stopped, or reading a half-sent request; request timeout of the " +
                  std::string(pool_name(c.pool)) + " pool, " + std::to_string(timeout_ms) +
                  " ms): killing it");
        c.timeout_killed = true;
        kill(pid, SIGKILL);
      } else if (c.stop_requested && now >= c.kill_at) {
        log::warn("worker pid " + std::to_string(pid) + " did not stop in time: killing it");
        c.kill_sent = true;
        kill(pid, SIGKILL);
      }
    }
  }

  void reap() {
    for (;;) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      if (pid == syncer_pid_) {
        on_syncer_exit(status);
        continue;
      }
      auto it = children_.find(pid);
      if (it == children_.end()) continue;
      const Child c = it->second;
      children_.erase(it);
      on_exit(c, status);
    }
  }

  void on_exit(const Child& c, int status) {
    const auto now = Clock::now();
    const int64_t lived = ms_between(c.started, now);
    scoreboard_->release_slot(c.slot);
    PoolRuntime& rt = runtime_[pix(c.pool)];
    const std::string who = std::string(pool_name(c.pool)) + " worker pid " +
                            std::to_string(c.pid) + " (slot " + std::to_string(c.slot) + ") ";
    switch (classify_exit(status, c.stop_requested, c.timeout_killed)) {
      case ExitKind::stopped:
        log::info(who + "stopped (" + describe_wait_status(status) + ")");
        return;
      case ExitKind::recycled:
        log::info(who + "recycled after workers.max_requests");
        scoreboard_->count_restart(RestartReason::recycle, c.pool);
        rt.refill_slots.push_back(c.slot);
        return;
      case ExitKind::timeout:
        scoreboard_->count_restart(RestartReason::timeout, c.pool);
        rt.refill_slots.push_back(c.slot);
        return;
      case ExitKind::crashed: {
        scoreboard_->count_restart(RestartReason::crash, c.pool);
        rt.refill_slots.push_back(c.slot);
        rt.crash_streak = next_crash_streak(rt.crash_streak, milliseconds{lived});
        const milliseconds delay = respawn_delay(rt.crash_streak);
        rt.spawn_not_before = std::max(rt.spawn_not_before, now + delay);
        std::string msg = who + describe_wait_status(status) + " after " + std::to_string(lived) +
                          " ms; replacing it";
        if (delay.count() > 0)
          msg += " in " + std::to_string(delay.count()) + " ms (" +
                 std::to_string(rt.crash_streak) + " quick crashes in a row)";
        log::error(msg);
        return;
      }
    }
  }

  // ---- the syncer (outbox replay) ---------------------------------------------------

  void ensure_syncer(Clock::time_point now) {
    if (syncer_pid_ > 0 || now < syncer_not_before_) return;
    syncer_pid_ = spawn_syncer(settings_, signal_fd_->get(), listen_[pix(Pool::admin)]->fd(),
                               listen_[pix(Pool::ingest)]->fd(), &*scoreboard_, &app_);
    if (syncer_pid_ < 0) {
      log::error(std::string("fork (syncer): ") + std::strerror(errno));
      syncer_pid_ = 0;
      syncer_not_before_ = now + milliseconds{1000};
    }
  }

  void on_syncer_exit(int status) {
    syncer_pid_ = 0;
    if (stopping_ || syncer_restart_) {
      syncer_restart_ = false;
      return;  // stopped on purpose; a reload respawns it with the new settings
    }
    // It should never exit on its own: back off so a crash loop does not spin.
    log::error("syncer " + describe_wait_status(status) + "; restarting it in 1 s");
    syncer_not_before_ = Clock::now() + milliseconds{1000};
  }

  void stop_syncer() {
    if (syncer_pid_ > 0) kill(syncer_pid_, SIGTERM);
  }

  // ---- readiness, reload, shutdown -----------------------------------------------

  void maybe_report_ready() {
    if (ready_reported_) return;
    std::string status;
    for (Pool p : kPools) {
      const PoolCounts pc = counts(p);
      if (pc.old_running > 0 || pc.new_ready < pc.target) return;
      status += std::to_string(pc.new_ready) + " " + std::string(pool_name(p)) + " workers, ";
    }
    ready_reported_ = true;
    status += "config generation " + std::to_string(generation_);
    notify("READY=1\nSTATUS=" + status);
    log::info("pool ready: " + status);
  }

  void reload() {
    if (stopping_) return;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_ns() / 1000));
    log::info("SIGHUP: reloading the configuration");
    config::Loaded loaded;
    try {
      loaded = config::load(options_.config_path);
    } catch (const config::ConfigError& e) {
      // Keep serving with what works; the operator sees the line and fixes the file.
      log::error(std::string("reload failed, keeping the running configuration: ") + e.what());
      scoreboard_->count_reload_failure();
      notify("READY=1\nSTATUS=reload failed: " + std::string(e.what()));
      return;
    }
    config::Settings next = std::move(loaded.settings);
    keep_unreloadable(next);
    settings_ = std::move(next);
    log::init("master", settings_.log_level);
    ++generation_;
    publish_pool();
    ready_reported_ = false;  // READY=1 again once every worker runs the new config
    syncer_restart_ = true;   // the syncer picks the new settings up on respawn
    stop_syncer();
    log::info("configuration generation " + std::to_string(generation_) + ": rolling " +
              std::to_string(children_.size()) + " workers onto it");
  }

  // What a reload cannot change without dropping the socket or the shared memory:
  // keep the running values and say so.
  void keep_unreloadable(config::Settings& next) const {
    auto keep = [&](const char* key, auto& field, const auto& running) {
      if (field != running) {
        log::warn(std::string(key) + " changed: takes effect on restart, not on reload");
        field = running;
      }
    };
    keep("fastcgi.socket", next.fastcgi_socket, settings_.fastcgi_socket);
    keep("fastcgi.ingest_socket", next.fastcgi_ingest_socket, settings_.fastcgi_ingest_socket);
    keep("fastcgi.socket_mode", next.fastcgi_socket_mode, settings_.fastcgi_socket_mode);
    keep("fastcgi.backlog", next.fastcgi_backlog, settings_.fastcgi_backlog);
    keep("server.shm_prefix", next.shm_prefix, settings_.shm_prefix);
    keep("log.queue_capacity", next.log_queue_capacity, settings_.log_queue_capacity);
    keep("log.queue_bytes", next.log_queue_bytes, settings_.log_queue_bytes);
  }

  void begin_shutdown(int sig) {
    const auto now = Clock::now();
    if (stopping_) {
      // A second stop signal: the operator does not want to wait.
      log::warn(std::string("SIG") + sigabbrev_np(sig) + " again: killing the workers now");
      for (auto& [pid, c] : children_) {
        c.kill_sent = true;
        kill(pid, SIGKILL);
      }
      if (syncer_pid_ > 0) kill(syncer_pid_, SIGKILL);
      return;
    }
    stopping_ = true;
    notify("STOPPING=1");
    log::info(std::string("SIG") + sigabbrev_np(sig) + ": stopping " +
              std::to_string(children_.size()) + " workers after their current request");
    // New connects fail at once (nginx answers 503 immediately); what the kernel has
    // already queued is still served: the workers drain the backlog before they exit
    // (the queue can only shrink now). A socket systemd holds outlives us and keeps its
    // queue for the next master, so that pool's workers just stop.
    for (Pool p : kPools) {
      listen_[pix(p)]->remove_path();
      if (!listen_[pix(p)]->from_systemd()) scoreboard_->set_draining(p);
    }
    for (auto& [pid, c] : children_) request_stop(c, now);
    stop_syncer();
  }

  MasterOptions options_;
  config::Settings settings_;
  Application& app_;
  uint32_t generation_ = 1;

  std::unique_ptr<UniqueFd> signal_fd_;
  // Declaration order = reverse destruction order: the pid file goes first, the
  // socket path last (after the workers are gone).
  std::array<std::optional<ListenSocket>, kPoolCount> listen_;  // indexed by Pool
  std::optional<Scoreboard> scoreboard_;
  std::optional<logq::Ring> ring_;
  std::unique_ptr<PidFile> pid_file_;

  std::map<pid_t, Child> children_;
  pid_t syncer_pid_ = 0;
  bool syncer_restart_ = false;
  Clock::time_point syncer_not_before_{};
  // Per traffic class.
  struct PoolRuntime {
    std::deque<int> refill_slots;  // slots whose worker must be replaced
    int crash_streak = 0;
    Clock::time_point spawn_not_before{};
  };
  std::array<PoolRuntime, kPoolCount> runtime_{};
  bool stopping_ = false;
  bool ready_reported_ = false;
};

}  // namespace

int run_master(config::Loaded loaded, const MasterOptions& options, Application& app) {
  Master master(std::move(loaded), options, app);
  return master.run();
}

}  // namespace ez::prefork
