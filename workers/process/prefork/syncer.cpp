#include "prefork/syncer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>

#include "common/log.h"
#include "prefork/application.h"
#include "prefork/runtime.h"

namespace ez::prefork {
namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop(int) {
  g_stop = 1;
}

}  // namespace

pid_t spawn_syncer(const config::Settings& settings, int close_fd_a, int close_fd_b, int close_fd_c,
                   Scoreboard* scoreboard, Application* app) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;  // the master, or -1

  // The child never returns: unwinding would run the master's destructors here.
  if (close_fd_a >= 0) close(close_fd_a);
  if (close_fd_b >= 0) close(close_fd_b);
  if (close_fd_c >= 0) close(close_fd_c);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(0);  // the master died before prctl took effect
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // the master blocks everything for its signalfd

  // Its own name in ps/top and /proc/PID/comm, so it is not taken for a worker.
  prctl(PR_SET_NAME, "ezapi-syncer");
  log::set_component("syncer");
  try {
    std::optional<ScoreboardRuntime> runtime;
    if (scoreboard) runtime.emplace(*scoreboard);
    if (app)
      app->run_background(settings, runtime ? &*runtime : nullptr, [] { return g_stop != 0; });
  } catch (const std::exception& e) {
    log::error(std::string("syncer failed: ") + e.what());
    _exit(1);
  }
  _exit(0);
}

}  // namespace ez::prefork
