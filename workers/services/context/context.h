// What a handler can reach: the settings and this worker's lazily opened
// connections. One Context per worker process, reused across requests.
#pragma once

#include <memory>

#include "common/runtime.h"
#include "config/config.h"
#include "db/pg.h"
#include "redisx/redis.h"

namespace ez::logq {
class Ring;
}

namespace ez::context {

class Context {
 public:
  explicit Context(config::Settings settings);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const config::Settings& settings() const { return settings_; }
  db::Pg& pg() { return pg_; }
  // The connection for read-heavy, read-only queries (lists; log search, usage
  // and exports): postgres.read_dsn when it is set and reachable, otherwise the
  // primary. What it returns may lag the primary by the replication delay, so
  // a read that must see the caller's own write uses pg().
  [[nodiscard]] db::Pg& pg_read();
  // After a connection loss (db::is_connection_loss): drop both connections,
  // so the next use reconnects (to the new primary after a failover).
  void mark_pg_broken();
  redisx::Redis& redis() { return redis_; }

  // Attached by the worker after fork; null in unit tests or when unavailable.
  logq::Ring* log_queue = nullptr;
  Runtime* runtime = nullptr;  // the process tree (scoreboard), when under the master
  int worker_slot = -1;

 private:
  config::Settings settings_;
  db::Pg pg_;
  std::unique_ptr<db::Pg> pg_read_;  // null when postgres.read_dsn is unset
  redisx::Redis redis_;
};

}  // namespace ez::context
