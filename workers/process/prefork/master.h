// The prefork master: opens one FastCGI socket per traffic-class pool (admin: fastcgi.socket,
// workers.count; ingest: fastcgi.ingest_socket, workers.ingest.count -- prefork/pools.h), or
// takes systemd's, creates the scoreboard and the log queue, forks the pools' workers and
// supervises them in one event loop until SIGTERM/SIGINT. php-fpm's static pools are the
// model; each pool has its own request timeout and crash back-off.
//
//   SIGCHLD          reap; replace a worker that died (at once; with back-off when
//                    they keep dying young), was recycled (max_requests) or was
//                    killed for a request over workers.request_timeout_ms
//   SIGHUP           re-read the config (a bad one is logged and the old one kept),
//                    then roll the workers one by one: start a new one, wait until it
//                    accepts, stop an old one gracefully -- capacity never drops to 0
//   SIGTERM/SIGINT   stop accepting, let in-flight requests finish (bounded by the
//                    request timeout, then SIGKILL), remove the socket, exit 0; a
//                    second one kills the workers at once
//
// All signals are read through a signalfd in the loop: there are no signal handlers
// in the master, so nothing runs asynchronously. Under systemd (NOTIFY_SOCKET) it
// reports READY=1 once the workers accept, RELOADING=1 ... READY=1 around a reload
// and STOPPING=1 on shutdown.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace ez::prefork {

struct MasterOptions {
  std::optional<std::string> config_path;  // --config; re-read on SIGHUP
  std::optional<std::string> pid_file;     // --pid-file
};

// Exit codes of ezapi-server.
enum MasterExit : int {
  kMasterOk = 0,           // stopped on SIGTERM/SIGINT (or --check-config passed)
  kMasterStartFailed = 1,  // bad config, socket in use, shared memory unavailable, ...
  kMasterUsage = 2,        // bad command line
};

class Application;

// Runs the master, serving `app` (prefork/application.h), until it is told to stop;
// returns a MasterExit.
[[nodiscard]] int run_master(config::Loaded loaded, const MasterOptions& options, Application& app);

}  // namespace ez::prefork
