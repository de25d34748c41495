// The worker loop.
//
// Stopping without losing a request. SIGTERM (and SIGINT, which a terminal sends to
// the whole process group) must let the current request finish, and an idle worker
// must exit promptly. Delivering the signal to a handler cannot do both with libfcgi:
// an interrupted read() inside FCGX_Accept_r (it reads the params right after
// accept), or the poll() it runs on a fresh unix connection, makes libfcgi drop that
// connection -- a 502 for a request that had already been accepted. So the worker
// keeps SIGTERM/SIGINT *blocked* for its whole life and checks for them with
// sigpending() between requests; no system call is ever interrupted. An idle worker
// blocked in accept() is woken by the SO_RCVTIMEO the master put on the listening
// socket (kAcceptWakeup): accept fails with EAGAIN, FCGX_Accept_r returns, the loop
// sees the pending signal and exits. Handlers are still installed before FCGX_Init,
// because libfcgi installs its own (non-restarting) SIGTERM handler when it finds the
// default disposition; ours never runs while the signal is blocked.
#include "prefork/worker.h"

#include <fcgiapp.h>
#include <poll.h>
#include <sys/prctl.h>
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

void on_stop_signal(int) {}  // never runs: the signals stay blocked (see above)

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
  SlotScope(Scoreboard& sb, int slot) : sb_(sb), slot_(slot) {}
  void set_route(std::string_view method, std::string_view route) override {
    sb_.set_route(slot_, method, route);
  }

 private:
  Scoreboard& sb_;
  int slot_;
};

class Worker {
 public:
  Worker(const WorkerSpec& spec, RequestHandler& handler)
      : spec_(spec), handler_(handler), routes_(*spec.scoreboard) {}

  int serve() {
    FCGX_Request req;
    if (FCGX_InitRequest(&req, spec_.listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
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
      const int rc = FCGX_Accept_r(&req);
      if (rc < 0) {
        // EAGAIN: the accept wake-up timer (loop and look at the signals again).
        if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR) continue;
        log::error(std::string("accept on the FastCGI socket failed: ") +
                   (rc > -4096 ? std::strerror(-rc) : "libfcgi error " + std::to_string(rc)));
        return kExitFatal;
      }
      handle(req);
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
  void handle(FCGX_Request& req) {
    Scoreboard& sb = *spec_.scoreboard;
    const int slot = spec_.slot;
    const uint64_t started = monotonic_ns();
    // The params are in; the body is not read yet. Busy (and timed) from here.
    sb.begin_request(slot, fcgi_param(req, "REQUEST_METHOD"), started);

    SlotScope scope(sb, slot);
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
  ScoreboardRuntime runtime(*spec.scoreboard);
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
