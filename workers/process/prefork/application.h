// What the process layer runs, seen from the process layer: an application object that
// cmd/ hands to the master. The master, the workers and the syncer know only this
// interface (routes for the per-route counters, a request handler per worker, a
// background task for the syncer), never the API behind it.
#pragma once

#include <fcgiapp.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/runtime.h"
#include "config/config.h"

namespace ez::logq {
class Ring;
}

namespace ez::prefork {

// What one request came to: the worker's scoreboard counters and its log line.
struct Served {
  std::string method;
  std::string path;
  std::string route;  // the route's pattern (its metrics label), or "unmatched"
  int status = 0;
};

// Lets the handler name the request's route in the scoreboard as soon as it is routed,
// so a request stuck in its handler shows where it is stuck.
class RequestScope {
 public:
  virtual ~RequestScope() = default;
  // Called once, after the request (params and body) has been read to its end and
  // before the handler runs: it also stops the worker's read deadline
  // (fastcgi.read_timeout_ms), which must not interrupt the handler's own I/O.
  virtual void set_route(std::string_view method, std::string_view route) = 0;
};

// One worker's request handler, made in the worker after fork.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Reads `request` to the end and writes its whole answer; never throws. The worker
  // loop finishes the request (FCGX_Finish_r) afterwards.
  virtual Served serve(FCGX_Request& request, RequestScope& scope) noexcept = 0;
};

// What a worker is given after fork.
struct WorkerEnv {
  const config::Settings* settings = nullptr;
  Runtime* runtime = nullptr;       // the scoreboard, seen through base's Runtime
  logq::Ring* log_queue = nullptr;  // inherited mapping; null when unavailable
  int slot = -1;
};

class Application {
 public:
  virtual ~Application() = default;
  // (method, pattern) of every route: the scoreboard lays out its per-route counters
  // from these at start.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> routes() const = 0;
  // Called once in each forked worker.
  [[nodiscard]] virtual std::unique_ptr<RequestHandler> make_handler(const WorkerEnv& env) = 0;
  // The syncer child's body: runs until `stop()` returns true; throws on a fatal error.
  virtual void run_background(const config::Settings& settings, Runtime* runtime,
                              const std::function<bool()>& stop) = 0;
};

}  // namespace ez::prefork
