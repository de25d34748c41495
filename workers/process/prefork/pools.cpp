#include "prefork/pools.h"

namespace ez::prefork {

PoolSpec pool_spec(const config::Settings& s, Pool pool) {
  PoolSpec p;
  p.pool = pool;
  p.max_requests = s.workers_max_requests;
  switch (pool) {
    case Pool::admin:
      p.count = s.workers_count;
      p.request_timeout_ms = s.workers_request_timeout_ms;
      p.socket = s.fastcgi_socket;
      break;
    case Pool::ingest:
      p.count = s.workers_ingest_count;
      p.request_timeout_ms = s.workers_ingest_request_timeout_ms;
      p.socket = s.fastcgi_ingest_socket;
      break;
  }
  return p;
}

}  // namespace ez::prefork
