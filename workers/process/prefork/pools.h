// The traffic-class pools the master supervises. A flood of balancer traffic must
// not queue admin requests behind it, so each class has its own workers, FastCGI socket and
// request timeout; nginx routes /logs and /sync/ to `ingest` and everything else to `admin`.
// Pure: the master reads its pools from the settings through this, and tests do the same.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "prefork/scoreboard.h"

namespace ez::prefork {

struct PoolSpec {
  Pool pool = Pool::admin;
  int count = 0;               // workers
  int request_timeout_ms = 0;  // a request running longer gets its worker killed
  int64_t max_requests = 0;    // recycle after this many requests (0 = never)
  std::string socket;          // the FastCGI unix socket its workers accept on
};

// admin: workers.count, workers.request_timeout_ms, fastcgi.socket;
// ingest: workers.ingest.count, workers.ingest.request_timeout_ms, fastcgi.ingest_socket.
// Both recycle after workers.max_requests.
[[nodiscard]] PoolSpec pool_spec(const config::Settings& settings, Pool pool);

}  // namespace ez::prefork
