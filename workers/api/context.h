// What a handler can reach: the settings and this worker's lazily opened
// connections. One Context per worker process, reused across requests.
#pragma once

#include <memory>

#include "config/config.h"
#include "db/pg.h"
#include "redisx/redis.h"

namespace ez::logq {
class Ring;
}
namespace ez::prefork {
class Scoreboard;
}

namespace ez::api {

class Context {
 public:
  explicit Context(config::Settings settings);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const config::Settings& settings() const { return settings_; }
  db::Pg& pg() { return pg_; }
  redisx::Redis& redis() { return redis_; }

  // Attached by the worker after fork; null in unit tests or when unavailable.
  logq::Ring* log_queue = nullptr;
  prefork::Scoreboard* scoreboard = nullptr;
  int worker_slot = -1;

 private:
  config::Settings settings_;
  db::Pg pg_;
  redisx::Redis redis_;
};

}  // namespace ez::api
