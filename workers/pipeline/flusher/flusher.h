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
#include <vector>

#include "common/backoff.h"
#include "flusher/sink.h"
#include "logq/ring.h"
#include "logq/unlanded.h"

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

// Back-off: common/backoff.h (with jitter, so several flushers do not retry in step).
using ez::Backoff;

// The flusher's states (FlushMachine below).
enum class FlushState {
  syncing,   // talk to the database: (re)read the committed sequence, run maintenance if due
  idle,      // nothing in hand: poll the queue, sleeping a little longer each empty look
  filling,   // a batch in hand that is not due yet (batch_size or flush_interval)
  writing,   // write the batch in one transaction, then release its queue space
  backoff,   // the database failed: wait for the next attempt, the batch stays in hand
  draining,  // stop requested: every batch is due at once; stop when the queue is empty
  stopped,   // done: drained, or drain_timeout passed
};
[[nodiscard]] const char* to_string(FlushState state);

// The flusher's loop as a state machine: step() does the work of the current state at `now`
// and moves to the next one. It never sleeps; it says how long the caller should before the
// next step (so tests drive it with made-up times). Stop is an input of every step: once seen,
// idle/filling become draining, and any state becomes stopped when drain_timeout has passed.
class FlushMachine {
 public:
  using Clock = std::chrono::steady_clock;
  // `consumer` is attached to `ring`; `stats` is the flusher's, updated in place;
  // `publish(force)` makes them visible (Flusher::publish).
  FlushMachine(logq::Ring& ring, logq::Consumer& consumer, Sink& sink, const Options& options,
               logq::FlusherStats& stats, std::function<void(bool)> publish);

  struct Step {
    FlushState state;                 // after the transition
    std::chrono::milliseconds sleep;  // before the next step (0: go on at once)
  };
  Step step(Clock::time_point now, bool stop_requested);

  [[nodiscard]] FlushState state() const { return state_; }
  [[nodiscard]] size_t batched() const { return batch_.size(); }  // entries in hand
  [[nodiscard]] uint64_t committed() const { return committed_; }

 private:
  FlushState sync(Clock::time_point now);
  FlushState collect(Clock::time_point now, std::chrono::milliseconds& sleep);
  FlushState write(Clock::time_point now);
  FlushState db_failed(Clock::time_point now, const std::exception& e, const char* what);
  [[nodiscard]] FlushState collecting() const;  // idle, filling or draining, by the batch

  logq::Ring& ring_;
  logq::Consumer& consumer_;
  Sink& sink_;
  const Options& opt_;
  logq::FlusherStats& stats_;
  std::function<void(bool)> publish_;
  const uint64_t ring_id_;

  FlushState state_ = FlushState::syncing;
  std::vector<logq::Consumer::Entry> batch_;
  Backoff backoff_;
  bool synced_ = false;  // committed_ reflects the database
  uint64_t committed_ = 0;
  bool stopping_ = false;
  Clock::time_point batch_started_{}, next_maintenance_{}, drain_deadline_{};
  std::chrono::milliseconds idle_{1};
  std::string last_error_;
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
  logq::UnlandedClock unlanded_;  // when the oldest entry not yet committed was queued
  std::chrono::steady_clock::time_point last_publish_{};
};

}  // namespace ez::flusher
