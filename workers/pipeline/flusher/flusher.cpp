#include "flusher/flusher.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/time.h"

namespace ez::flusher {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

size_t batch_target(size_t batch_size, size_t batch_max, uint64_t queued) {
  batch_size = std::max<size_t>(batch_size, 1);
  batch_max = std::max(batch_max, batch_size);
  if (queued <= batch_size) return batch_size;
  return static_cast<size_t>(std::min<uint64_t>(queued, batch_max));
}

Flusher::Flusher(logq::Ring& ring, Sink& sink, Options options)
    : ring_(ring), sink_(sink), opt_(std::move(options)) {
  if (opt_.batch_size == 0) opt_.batch_size = 1;
  opt_.batch_max = std::max(opt_.batch_max, opt_.batch_size);
}

void Flusher::publish(bool force) {
  const auto now = Clock::now();
  if (!force && now - last_publish_ < milliseconds{100}) return;
  last_publish_ = now;
  const int64_t now_ms = unix_now_ms();
  stats_.heartbeat_unix_ms = now_ms;
  stats_.db_connected = sink_.connected();
  unlanded_.observe(now_ms, ring_.stats().next_seq);
  ring_.publish_flusher_stats(stats_);  // first: publish_unlanded reads the committed_seq
  ring_.publish_unlanded(unlanded_.since(stats_.committed_seq), now_ms);
}

const char* to_string(FlushState state) {
  switch (state) {
    case FlushState::syncing:
      return "syncing";
    case FlushState::idle:
      return "idle";
    case FlushState::filling:
      return "filling";
    case FlushState::writing:
      return "writing";
    case FlushState::backoff:
      return "backoff";
    case FlushState::draining:
      return "draining";
    case FlushState::stopped:
      return "stopped";
  }
  return "?";
}

FlushMachine::FlushMachine(logq::Ring& ring, logq::Consumer& consumer, Sink& sink,
                           const Options& options, logq::FlusherStats& stats,
                           std::function<void(bool)> publish)
    : ring_(ring),
      consumer_(consumer),
      sink_(sink),
      opt_(options),
      stats_(stats),
      publish_(std::move(publish)),
      ring_id_(ring.ring_id()),
      backoff_(options.backoff_min, options.backoff_max, /*jitter=*/true) {
  batch_.reserve(opt_.batch_size);
}

FlushMachine::Step FlushMachine::step(Clock::time_point now, bool stop_requested) {
  if (stop_requested && !stopping_) {
    stopping_ = true;
    drain_deadline_ = now + opt_.drain_timeout;
    if (opt_.on_stopping) opt_.on_stopping();
    log::info("stop requested: draining the log queue (at most " +
              std::to_string(opt_.drain_timeout.count()) + " ms)");
    if (state_ == FlushState::idle || state_ == FlushState::filling) state_ = FlushState::draining;
  }
  if (stopping_ && now >= drain_deadline_) state_ = FlushState::stopped;

  milliseconds sleep{0};
  switch (state_) {
    case FlushState::syncing:
      state_ = sync(now);
      break;
    case FlushState::idle:
    case FlushState::filling:
    case FlushState::draining:
      // Partitions are days ahead: maintenance waits while stopping.
      if (!stopping_ && now >= next_maintenance_)
        state_ = FlushState::syncing;
      else
        state_ = collect(now, sleep);
      break;
    case FlushState::writing:
      state_ = write(now);
      break;
    case FlushState::backoff:
      if (backoff_.ready(now)) {
        state_ = FlushState::syncing;
      } else if (stopping_ && batch_.empty() && consumer_.caught_up()) {
        state_ = FlushState::stopped;  // nothing left to write: no need to wait for the database
      } else {
        // Short naps, so a stop request and the heartbeat are still seen while waiting.
        sleep = std::min(
            std::chrono::duration_cast<milliseconds>(backoff_.not_before() - now) + milliseconds{1},
            milliseconds{8});
      }
      break;
    case FlushState::stopped:
      break;
  }
  return {state_, sleep};
}

FlushState FlushMachine::collecting() const {
  if (stopping_) return FlushState::draining;
  return batch_.empty() ? FlushState::idle : FlushState::filling;
}

// (Re)learn what the database already holds: at start, and after any error, since a commit
// whose answer was lost may or may not have happened. Then maintenance, when it is due.
FlushState FlushMachine::sync(Clock::time_point now) {
  try {
    if (!synced_) {
      committed_ = sink_.committed_seq(ring_id_);
      consumer_.skip_through(committed_);
      const auto first_new = std::find_if(batch_.begin(), batch_.end(),
                                          [&](const auto& e) { return e.seq > committed_; });
      if (first_new != batch_.begin()) {
        consumer_.release(committed_);
        batch_.erase(batch_.begin(), first_new);
      }
      synced_ = true;
      stats_.committed_seq = std::max(stats_.committed_seq, committed_);
      if (!last_error_.empty()) log::info("postgres: connection re-established");
      last_error_.clear();
      backoff_.succeeded();
      publish_(true);
    }
    if (now >= next_maintenance_ && !stopping_) {
      try {
        sink_.maintain(opt_.partition_days_ahead, opt_.retention_days);
        next_maintenance_ = now + opt_.maintenance_interval;
      } catch (const std::exception& e) {
        // Partitions are days ahead; a failed round must not stop the flushing.
        log::warn(std::string("log partition maintenance failed: ") + one_line(e.what()));
        next_maintenance_ = now + opt_.maintenance_retry;
        if (!sink_.connected()) throw;
      }
    }
  } catch (const std::exception& e) {
    return db_failed(now, e, synced_ ? "maintenance" : "reading the committed sequence");
  }
  return collecting();
}

// Poll the queue into the batch; the batch is due at batch_size, after flush_interval, or at
// once while draining.
FlushState FlushMachine::collect(Clock::time_point now, milliseconds& sleep) {
  const size_t target = batch_target(opt_.batch_size, opt_.batch_max, ring_.stats().depth_entries);
  if (batch_.size() < target) {
    const bool was_empty = batch_.empty();
    consumer_.poll(batch_, target - batch_.size());
    if (was_empty && !batch_.empty()) batch_started_ = now;
  }
  if (batch_.empty()) {
    if (stopping_ && consumer_.caught_up()) return FlushState::stopped;  // drained
    sleep = idle_;
    idle_ = std::min(idle_ * 2, milliseconds{stopping_ ? 1 : 8});
    return collecting();
  }
  idle_ = milliseconds{1};
  const bool due =
      batch_.size() >= opt_.batch_size || stopping_ || now - batch_started_ >= opt_.flush_interval;
  if (due) return FlushState::writing;
  sleep = milliseconds{1};
  return collecting();
}

FlushState FlushMachine::write(Clock::time_point now) {
  const auto t0 = Clock::now();
  try {
    const WriteResult r = sink_.write(ring_id_, committed_, batch_);
    committed_ = r.committed_seq;
    consumer_.release(committed_);
    const auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
    stats_.committed_seq = committed_;
    stats_.flushed_entries += r.written;
    ++stats_.batches;
    stats_.last_flush_us = us;
    stats_.max_flush_us = std::max(stats_.max_flush_us, us);
    stats_.total_flush_us += us;
    if (r.rejected)
      log::error(std::to_string(r.rejected) +
                 " log entries were refused by PostgreSQL; kept in logs_rejected");
    batch_.clear();
    backoff_.succeeded();
    publish_(false);
    return collecting();
  } catch (const StaleState& e) {
    log::warn(std::string("committed sequence moved under us, re-reading it: ") + e.what());
    synced_ = false;
    return FlushState::syncing;
  } catch (const std::exception& e) {
    return db_failed(now, e, "writing a batch");
  }
}

FlushState FlushMachine::db_failed(Clock::time_point now, const std::exception& e,
                                   const char* what) {
  sink_.disconnect();
  synced_ = false;
  ++stats_.db_errors;
  stats_.last_error_unix_ms = unix_now_ms();
  const auto wait = backoff_.failed(now);
  const std::string msg = one_line(e.what());
  // Once per distinct error, not once per retry.
  if (msg != last_error_)
    log::warn(std::string("postgres: ") + what + " failed, retrying with back-off (" +
              std::to_string(wait.count()) + " ms first): " + msg);
  last_error_ = msg;
  publish_(true);
  return FlushState::backoff;
}

uint64_t Flusher::run(const std::atomic<bool>& stop) {
  logq::Consumer consumer(ring_, opt_.consumer);  // throws if another flusher runs
  // Counters continue from the previous flusher of this queue (they live in the segment),
  // so a restart does not look like a reset or a lag spike on /metrics.
  const logq::Stats at_start = ring_.stats();
  stats_ = at_start.flusher;
  // A backlog left by the previous flusher keeps the age it already had (an upper bound
  // for the entries behind it until the commits pass them), not the time we first see it.
  if (at_start.lag > 0 && at_start.unlanded_since_unix_ms != 0)
    unlanded_.observe(at_start.unlanded_since_unix_ms, at_start.next_seq);
  stats_.pid = getpid();
  stats_.db_connected = false;
  publish(true);
  if (opt_.on_ready) opt_.on_ready();

  FlushMachine machine(ring_, consumer, sink_, opt_, stats_,
                       [this](bool force) { publish(force); });
  Clock::time_point next_status = Clock::now();
  for (;;) {
    const auto now = Clock::now();
    publish(false);
    if (opt_.on_status && now >= next_status) {
      const auto s = ring_.stats();
      opt_.on_status("flushed " + std::to_string(stats_.flushed_entries) + ", queued " +
                     std::to_string(s.depth_entries) + ", db " +
                     (sink_.connected() ? "up" : "down"));
      next_status = now + milliseconds{5000};
    }
    const auto step = machine.step(now, stop.load(std::memory_order_relaxed));
    if (step.state == FlushState::stopped) break;
    if (step.sleep.count() > 0) std::this_thread::sleep_for(step.sleep);
  }

  const auto s = ring_.stats();
  const uint64_t left = s.depth_entries;
  if (left)
    log::warn("stopping with " + std::to_string(left) +
              " log entries still queued (kept in shared memory for the next start)");
  stats_.pid = 0;  // no flusher attached any more
  publish(true);   // the last commits' unlanded mark too, which a throttled publish skipped
  return left;
}

}  // namespace ez::flusher
