// The log flusher's loop: drains the shared-memory queue into PostgreSQL in batches.
//
//  * A batch is up to batch_size entries, or whatever arrived within flush_interval of the
//    batch's first entry, whichever comes first. With a backlog (more than batch_size
//    queued) a batch takes what is queued, up to batch_max (batch_target below): a commit
//    has a fixed cost, so bigger transactions are how landing keeps up with the producers.
//  * Exactly once: each batch and the new committed sequence go in one transaction
//    (Sink::write); queue space is released only after the commit; after a restart or a
//    database error the stored sequence is read again and entries up to it are skipped.
//  * PostgreSQL down: the batch is kept, retried with capped exponential back-off; the queue
//    holds the backlog (workers answer 503 when it is full). Never drops entries.
//  * Stop requested (SIGTERM): flushes at once and keeps going until the queue is empty,
//    for at most drain_timeout; what is left stays in shared memory for the next start.
//  * Partitions: ensured at start and every maintenance_interval; old ones dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "flusher/sink.h"
#include "logq/ring.h"

namespace ez::flusher {

struct Options {
  size_t batch_size = 10;
  size_t batch_max = 5000;  // raised to batch_size if below it
  std::chrono::milliseconds flush_interval{1000};
  int retention_days = 30;
  int partition_days_ahead = 3;
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::chrono::milliseconds drain_timeout{30000};
  std::chrono::milliseconds maintenance_interval{3600 * 1000};
  std::chrono::milliseconds maintenance_retry{300 * 1000};
  logq::ConsumerOptions consumer;
  // Called once the queue is attached as its only consumer (sd_notify READY=1).
  std::function<void()> on_ready;
  // Called once when a stop request is noticed (sd_notify STOPPING=1).
  std::function<void()> on_stopping;
  // Called now and then with a one-line status (sd_notify STATUS=).
  std::function<void(const std::string&)> on_status;
};

// Entries the next transaction may take, given `queued` entries in the queue that are not
// durable yet (the batch in hand included): batch_size while the queue is short, the whole
// backlog with a backlog, never more than batch_max (nor less than batch_size).
[[nodiscard]] size_t batch_target(size_t batch_size, size_t batch_max, uint64_t queued);

// Capped exponential back-off with +-20% jitter, so several flushers do not retry in step.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max) : min_(min), max_(max) {}
  [[nodiscard]] std::chrono::milliseconds next();
  void reset() { current_ = std::chrono::milliseconds{0}; }

 private:
  std::chrono::milliseconds min_, max_, current_{0};
  uint64_t rng_state_ = 0x9E3779B97F4A7C15ULL;
};

class Flusher {
 public:
  Flusher(logq::Ring& ring, Sink& sink, Options options);
  // Runs until `stop` becomes true and the queue is drained (or drain_timeout passed).
  // Throws logq::RingError if another flusher holds the queue. Returns the entries left.
  uint64_t run(const std::atomic<bool>& stop);

  [[nodiscard]] const logq::FlusherStats& stats() const { return stats_; }

 private:
  void publish(bool force);

  logq::Ring& ring_;
  Sink& sink_;
  Options opt_;
  logq::FlusherStats stats_;
  std::chrono::steady_clock::time_point last_publish_{};
};

}  // namespace ez::flusher
