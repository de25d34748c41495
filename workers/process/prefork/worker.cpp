// The worker loop.
//
// Stopping without losing a request. SIGTERM (and SIGINT, which a terminal sends to
// the whole process group) must let the current request finish, and an idle worker
// must exit promptly. Delivering the signal to a handler cannot do both with libfcgi:
// an interrupted read() inside FCGX_Accept_r (it reads the params right after
// accept), or the poll() it runs on a fresh unix connection, makes libfcgi drop that
// connection -- a 502 for a request that had already been accepted. So the worker
// keeps SIGTERM/SIGINT *blocked* for its whole life and checks for them with
// sigpending() between requests; they never interrupt a system call. An idle worker
// blocked in accept() is woken by the SO_RCVTIMEO the master put on the listening
// socket (kAcceptWakeup): accept fails with EAGAIN, the loop
// sees the pending signal and exits. Handlers are still installed before FCGX_Init,
// because libfcgi installs its own (non-restarting) SIGTERM handler when it finds the
// default disposition; ours never runs while the signal is blocked.
//
// The read deadline. nginx buffers whole requests before it connects, so a connection
// whose request is still incomplete after fastcgi.read_timeout_ms is a broken or hostile
// client, and it must not hold a worker until the master's request timeout. The worker
// accepts the connection itself (libfcgi would read the params inside its own accept,
// before the worker could start a clock) and hands the descriptor to libfcgi, whose
// request has no listening socket, so libfcgi never accepts on its own. A one-shot
// ITIMER_REAL, armed at accept and stopped once the request is read to its end, then
// repeats every kDeadlineRepeatUs: SIGALRM (no SA_RESTART) interrupts whichever read is
// blocked, libfcgi sees the error and drops the connection, and the worker goes back to
// accept. The timer never runs while the handler works, so no database or response
// write is ever interrupted.
#include "prefork/worker.h"

#include <fcgiapp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "common/log.h"
#include "common/time.h"
#include "prefork/application.h"
#include "prefork/runtime.h"
#include "prefork/scoreboard.h"
#include "prefork/supervision.h"

namespace ez::prefork {

namespace {

void on_stop_signal(int) {}    // never runs: the signals stay blocked (see above)
void on_read_deadline(int) {}  // runs only to interrupt a blocked read (see above)

// After the deadline, SIGALRM again this often: a read that began just after one signal
// is interrupted by the next.
constexpr long kDeadlineRepeatUs = 50'000;

void set_disposition(int sig, void (*handler)(int), int flags) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  sigaction(sig, &sa, nullptr);
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Before FCGX_Init. The master's mask (it blocks everything it reads via signalfd)
// is inherited across fork: replace it with exactly the stop signals.
void setup_signals() {
  set_disposition(SIGTERM, on_stop_signal, SA_RESTART);
  set_disposition(SIGINT, on_stop_signal, SA_RESTART);
  set_disposition(SIGHUP, SIG_IGN, 0);  // reloads are the master's business
  set_disposition(SIGCHLD, SIG_DFL, 0);
  set_disposition(SIGQUIT, SIG_DFL, 0);
  set_disposition(SIGALRM, on_read_deadline, 0);  // no SA_RESTART: it must interrupt
  sigset_t mask = stop_signals();
  sigprocmask(SIG_SETMASK, &mask, nullptr);
}

// After FCGX_Init, which installs handlers for SIGPIPE and SIGUSR1 (the latter makes
// libfcgi refuse further reads). A peer that went away must surface as EPIPE on the
// write, and nobody here uses SIGUSR1.
void override_libfcgi_signals() {
  set_disposition(SIGPIPE, SIG_IGN, 0);
  set_disposition(SIGUSR1, SIG_IGN, 0);
}

bool stop_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

// True when a connection is waiting in the listen queue (accept would not block).
bool connection_queued(int listen_fd) {
  pollfd pfd{listen_fd, POLLIN, 0};
  return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

// The read deadline of one connection (see the top of this file). RAII: whatever path
// leaves the request, the timer stops.
class ReadDeadline {
 public:
  explicit ReadDeadline(int timeout_ms) {
    itimerval t{};
    t.it_value.tv_sec = timeout_ms / 1000;
    t.it_value.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
    t.it_interval.tv_usec = kDeadlineRepeatUs;
    armed_ = setitimer(ITIMER_REAL, &t, nullptr) == 0;
    started_ = monotonic_ns();
    timeout_ns_ = static_cast<uint64_t>(timeout_ms) * 1'000'000;
  }
  ~ReadDeadline() { stop(); }
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

  void stop() {
    if (!armed_) return;
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
    armed_ = false;
  }
  [[nodiscard]] bool expired() const { return monotonic_ns() - started_ >= timeout_ns_; }

 private:
  bool armed_ = false;
  uint64_t started_ = 0;
  uint64_t timeout_ns_ = 0;
};

std::string fcgi_param(FCGX_Request& req, const char* name) {
  const char* v = FCGX_GetParam(name, req.envp);
  return v ? v : "";
}

// route_index() scans the table; a worker sees a handful of distinct routes, so
// remember each answer.
class RouteIndex {
 public:
  explicit RouteIndex(const Scoreboard& sb) : sb_(sb) {}
  int operator()(const std::string& method, const std::string& route) {
    std::string key = method;
    key += ' ';
    key += route;
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const int idx = route == "unmatched" ? sb_.unmatched_route() : sb_.route_index(method, route);
    cache_.emplace(std::move(key), idx);
    return idx;
  }

 private:
  const Scoreboard& sb_;
  std::unordered_map<std::string, int> cache_;
};

// The scoreboard's view of the request in flight, for the handler to label.
class SlotScope final : public RequestScope {
 public:
  SlotScope(Scoreboard& sb, int slot, ReadDeadline& deadline)
      : sb_(sb), slot_(slot), deadline_(deadline) {}
  void set_route(std::string_view method, std::string_view route) override {
    deadline_.stop();  // the request is read to its end (RequestScope's contract)
    sb_.set_route(slot_, method, route);
  }

 private:
  Scoreboard& sb_;
  int slot_;
  ReadDeadline& deadline_;
};

class Worker {
 public:
  Worker(const WorkerSpec& spec, RequestHandler& handler)
      : spec_(spec), handler_(handler), routes_(*spec.scoreboard) {}

  int serve() {
    FCGX_Request req;
    // No listening socket for libfcgi: the worker accepts (see the top of this file).
    if (FCGX_InitRequest(&req, -1, 0) != 0) {
      log::error("FCGX_InitRequest failed");
      return kExitFatal;
    }
    Scoreboard& sb = *spec_.scoreboard;
    sb.worker_ready(spec_.slot, getpid());
    const int64_t max_requests = spec_.settings->workers_max_requests;
    const Pool pool = sb.slot(spec_.slot).pool;  // set by the master when it claimed the slot
    int64_t served = 0;
    for (;;) {
      // At shutdown the requests the kernel already queued are served first (nginx
      // has sent them; dropping them is a 502/503 for a request nobody refused). Only
      // then: during a rolling reload the queue is the new workers' to serve.
      if (stop_pending() && !(sb.draining(pool) && connection_queued(spec_.listen_fd))) {
        sb.worker_stopping(spec_.slot);
        return kExitStopped;
      }
      sb.heartbeat(spec_.slot, monotonic_ns());
      const int fd = accept4(spec_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        // EAGAIN: the accept wake-up timer (loop and look at the signals again); the
        // others are a client that left before the accept.
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
            errno == EPROTO)
          continue;
        log::error(std::string("accept on the FastCGI socket failed: ") + std::strerror(errno));
        return kExitFatal;
      }
      ReadDeadline deadline(spec_.settings->fastcgi_read_timeout_ms);
      // libfcgi reads the params from this descriptor instead of accepting; kept open by
      // the FCGX_Finish_r that FCGX_Accept_r starts with (nothing is in flight yet).
      req.ipcFd = fd;
      req.keepConnection = 1;
      const int rc = FCGX_Accept_r(&req);
      if (rc < 0) {
        // libfcgi closed the connection: its params did not arrive in time or were not
        // FastCGI. The pool is not affected; only this client is dropped.
        log::warn(deadline.expired() ? "dropped a FastCGI connection whose request was not "
                                       "read within fastcgi.read_timeout_ms"
                                     : "dropped a FastCGI connection with a malformed request");
        continue;
      }
      if (FCGX_GetError(req.in) != 0) {
        // libfcgi reads params until the stream ends and takes a failed read for that end:
        // a request whose params the deadline cut off would be served with none of them.
        log::warn(
            "dropped a FastCGI connection whose params were not read within "
            "fastcgi.read_timeout_ms");
        FCGX_Free(&req, 1);
        continue;
      }
      handle(req, deadline);
      deadline.stop();
      // One request per connection (nginx keeps none, nginx/ezapi.conf): a client that
      // asked to keep it open is closed here, before the next accept reuses `req`.
      if (req.ipcFd >= 0) {
        close(req.ipcFd);
        req.ipcFd = -1;
      }
      ++served;
      if (max_requests > 0 && served >= max_requests) {
        // The connection was closed by FCGX_Finish_r in handle(); nothing is in flight.
        log::info("served " + std::to_string(served) +
                  " requests (workers.max_requests): recycling");
        sb.worker_stopping(spec_.slot);
        return kExitRecycled;
      }
    }
  }

 private:
  void handle(FCGX_Request& req, ReadDeadline& deadline) {
    Scoreboard& sb = *spec_.scoreboard;
    const int slot = spec_.slot;
    const uint64_t started = monotonic_ns();
    // The params are in; the body is not read yet. Busy (and timed) from here.
    sb.begin_request(slot, fcgi_param(req, "REQUEST_METHOD"), started);

    SlotScope scope(sb, slot, deadline);
    const Served out = handler_.serve(req, scope);
    // Close without libfcgi's lingering close. By default FCGX_Finish_r shuts down the send
    // side and then polls and reads until nginx closes its end, so the worker sits idle for
    // a scheduling round trip of nginx on every request (a third of the worker's time on a
    // one-entry POST /logs). Detached, it just close()s. That is safe here: the handler reads
    // stdin to its end (RequestHandler's contract), and on a unix socket (the only kind the
    // pools listen on) the response already queued at nginx is read before any reset.
    (void)FCGX_Detach(&req);
    FCGX_Finish_r(&req);  // flushes the response and closes the connection

    const uint64_t took = monotonic_ns() - started;
    sb.end_request(slot, routes_(out.method, out.route), out.status, took);
    if (out.status >= 500)
      log::warn(out.method + " " + out.path + " -> " + std::to_string(out.status));
    else if (log::enabled(log::Level::debug))  // skip building the line on the hot path
      log::debug(out.method + " " + out.path + " -> " + std::to_string(out.status) + " in " +
                 std::to_string(took / 1000) + " us");
    log::clear_request_id();
  }

  const WorkerSpec& spec_;
  RequestHandler& handler_;
  RouteIndex routes_;
};

}  // namespace

int run_worker(const WorkerSpec& spec) {
  // Die with the master: a worker must never outlive it (no orphans holding the
  // socket). SIGTERM, so a request in flight still completes. If the master died
  // between fork() and here, the signal will never come: check by hand.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != spec.master_pid) return kExitStopped;

  log::set_component("worker");
  // Only the master speaks to systemd (NotifyAccess=main); keep workers quiet.
  unsetenv("NOTIFY_SOCKET");

  setup_signals();
  if (FCGX_Init() != 0) {
    log::error("FCGX_Init failed");
    return kExitFatal;
  }
  override_libfcgi_signals();

  // The application's handler owns what a request needs (its lazily opened PostgreSQL
  // and Redis connections: nothing connects until a request needs it).
  ScoreboardRuntime runtime(*spec.scoreboard, spec.slot);
  WorkerEnv env;
  env.settings = spec.settings;
  env.runtime = &runtime;
  env.log_queue = spec.log_queue;
  env.slot = spec.slot;
  std::unique_ptr<RequestHandler> handler;
  try {
    handler = spec.app->make_handler(env);
  } catch (const std::exception& e) {
    log::error(std::string("cannot start the request handler: ") + e.what());
    return kExitFatal;
  }
  Worker worker(spec, *handler);
  return worker.serve();
}

}  // namespace ez::prefork
