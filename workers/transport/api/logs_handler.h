// POST /logs: the balancer's access logs (internal token only).
//
// Body: one JSON object, a JSON array of objects, or NDJSON (Content-Type
// application/x-ndjson); fields in workers/pipeline/logq/entry.h. The handler validates every
// entry, then puts the whole request into the shared-memory queue as ONE record, and answers
//   202 {"accepted": N}                     all N entries are queued (and will land once)
//   400 bad_json / invalid_field / missing_field, field "[i].name"    nothing queued
//   413 payload_too_large                   more than the queue can ever hold at once
//   415 unsupported_media_type              neither JSON nor NDJSON
//   503 queue_full + Retry-After            the queue stayed full for log.enqueue_wait_ms:
//                                           nothing queued
// It never touches the database. On a full queue it waits (up to log.enqueue_wait_ms) for
// the flusher to free space, so a client posting faster than the flusher lands is slowed
// down to the landing rate instead of refused.
#pragma once

#include <chrono>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "logq/ring.h"

namespace ez::api {

void register_logs_routes(http::Router& r);  // also declared in routes.h

// The work behind the route once the caller is authenticated; null ring => 503.
// enqueue_wait: how long a full queue is waited on before 503 (0: answer at once).
// retention_days > 0: entries older than the retention window are a 400 (timestamp).
// Exposed for unit tests (no FastCGI, no auth).
[[nodiscard]] http::Response accept_logs(logq::Ring* ring, const http::Request& req,
                                         std::chrono::milliseconds enqueue_wait = {},
                                         int retention_days = 0);

// Seconds a client should wait after queue_full.
inline constexpr int kLogsRetryAfterSeconds = 1;

}  // namespace ez::api
