// What the log queue and the flusher report: their Prometheus families and their
// part of GET /admin/status, pure functions of the queue's lock-free stats.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>

namespace ez::logq {

class Ring;
struct Stats;

// Seconds the oldest entry not yet durable has waited at `now_unix_ms` (wall clock): 0 when
// nothing waits (lag 0) or the mark is not set yet (the moment between a claim and its mark).
[[nodiscard]] double oldest_unlanded_age_seconds(const Stats& s, int64_t now_unix_ms);

// Appends the queue's and the flusher's families (depth, enqueued/refused/abandoned
// totals, the oldest unlanded entry's age, flusher heartbeat and lag) to `out`; nothing when `ring`
// is null (this worker has no queue attached).
void append_logq_metrics(const Ring* ring, std::string& out);

// The log queue and the flusher for GET /admin/status, from the same stats:
// depth and capacity, entries not yet durable (lag), totals, and the flusher's
// heartbeat age and state. `now_unix_ms` is wall-clock time (the heartbeat is).
[[nodiscard]] Json::Value render_logq_status(const Stats& s, int64_t now_unix_ms);

}  // namespace ez::logq
