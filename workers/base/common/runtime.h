// The running process tree as the code it runs sees it. The process layer (prefork/)
// implements it over the shared scoreboard; services report to it and handlers read
// from it without knowing that layer exists (it sits above them). Null outside the
// master: a unit test, the CLI, the flusher.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>

namespace ez {

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Counters services keep (GET /metrics shows them).
  virtual void count_redis_push_failure() = 0;
  virtual void record_resync(uint64_t duration_ns) = 0;
  // Redis holds what PostgreSQL pushed, now: an outbox push that emptied the outbox,
  // or a syncer tick that found Redis current (after resyncing it if it had to).
  virtual void record_redis_current() = 0;
  // Seconds since the last record_redis_current() of any process of this master;
  // before the first one, since the master started (a syncer that never reaches
  // Redis ages from the start).
  [[nodiscard]] virtual double redis_push_age_seconds() const = 0;

  // Admission gates: true when this worker's request may run as one of at most `limit`
  // requests of kind `gate` (a hash naming it, never 0) on this host; false past it. The
  // place is held until leave_gate() or the end of the request.
  [[nodiscard]] virtual bool enter_gate(uint64_t gate, int limit) = 0;
  virtual void leave_gate() = 0;

  // The pool's and the process counters' Prometheus families.
  [[nodiscard]] virtual std::string metrics_text() const = 0;
  // The php-fpm-like pool status document of GET /admin/status.
  [[nodiscard]] virtual Json::Value status() const = 0;
};

}  // namespace ez
