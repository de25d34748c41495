#include "flusher/flusher.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "common/log.h"

namespace ez::flusher {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t unix_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

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

milliseconds Backoff::next() {
  current_ = current_.count() == 0 ? min_ : std::min(current_ * 2, max_);
  // xorshift: no need for a real generator to spread retries.
  rng_state_ ^= rng_state_ << 13;
  rng_state_ ^= rng_state_ >> 7;
  rng_state_ ^= rng_state_ << 17;
  const auto span = current_.count() / 5;
  const auto jitter = span > 0 ? static_cast<int64_t>(rng_state_ % (2 * span + 1)) - span : 0;
  return milliseconds{current_.count() + jitter};
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
  stats_.heartbeat_unix_ms = unix_ms();
  stats_.db_connected = sink_.connected();
  ring_.publish_flusher_stats(stats_);
}

uint64_t Flusher::run(const std::atomic<bool>& stop) {
  logq::Consumer consumer(ring_, opt_.consumer);  // throws if another flusher runs
  const uint64_t ring_id = ring_.ring_id();
  // Counters continue from the previous flusher of this queue (they live in the segment),
  // so a restart does not look like a reset or a lag spike on /metrics.
  stats_ = ring_.stats().flusher;
  stats_.pid = getpid();
  stats_.db_connected = false;
  publish(true);
  if (opt_.on_ready) opt_.on_ready();

  std::vector<logq::Consumer::Entry> batch;
  batch.reserve(opt_.batch_size);
  Backoff backoff(opt_.backoff_min, opt_.backoff_max);
  bool synced = false;  // `committed` reflects the database
  uint64_t committed = 0;
  bool stopping = false;
  Clock::time_point batch_started{}, next_db_attempt{}, next_maintenance{}, drain_deadline{};
  Clock::time_point next_status = Clock::now();
  milliseconds idle{1};
  std::string last_error;

  auto db_failed = [&](const std::exception& e, const char* what) {
    sink_.disconnect();
    synced = false;
    ++stats_.db_errors;
    stats_.last_error_unix_ms = unix_ms();
    const auto wait = backoff.next();
    next_db_attempt = Clock::now() + wait;
    const std::string msg = one_line(e.what());
    // Once per distinct error, not once per retry.
    if (msg != last_error)
      log::warn(std::string("postgres: ") + what + " failed, retrying with back-off (" +
                std::to_string(wait.count()) + " ms first): " + msg);
    last_error = msg;
    publish(true);
  };

  for (;;) {
    auto now = Clock::now();
    publish(false);
    if (opt_.on_status && now >= next_status) {
      const auto s = ring_.stats();
      opt_.on_status("flushed " + std::to_string(stats_.flushed_entries) + ", queued " +
                     std::to_string(s.depth_entries) + ", db " +
                     (sink_.connected() ? "up" : "down"));
      next_status = now + milliseconds{5000};
    }
    if (stop.load(std::memory_order_relaxed) && !stopping) {
      stopping = true;
      drain_deadline = now + opt_.drain_timeout;
      if (opt_.on_stopping) opt_.on_stopping();
      log::info("stop requested: draining the log queue (at most " +
                std::to_string(opt_.drain_timeout.count()) + " ms)");
    }
    if (stopping && now >= drain_deadline) break;

    // (Re)learn what the database already holds: at start, and after any error, since
    // a commit whose answer was lost may or may not have happened.
    if ((!synced || now >= next_maintenance) && now >= next_db_attempt) {
      try {
        if (!synced) {
          committed = sink_.committed_seq(ring_id);
          consumer.skip_through(committed);
          const auto first_new = std::find_if(batch.begin(), batch.end(),
                                              [&](const auto& e) { return e.seq > committed; });
          if (first_new != batch.begin()) {
            consumer.release(committed);
            batch.erase(batch.begin(), first_new);
          }
          synced = true;
          stats_.committed_seq = std::max(stats_.committed_seq, committed);
          if (!last_error.empty()) log::info("postgres: connection re-established");
          last_error.clear();
          backoff.reset();
          publish(true);
        }
        if (now >= next_maintenance && !stopping) {
          try {
            sink_.maintain(opt_.partition_days_ahead, opt_.retention_days);
            next_maintenance = now + opt_.maintenance_interval;
          } catch (const std::exception& e) {
            // Partitions are days ahead; a failed round must not stop the flushing.
            log::warn(std::string("log partition maintenance failed: ") + one_line(e.what()));
            next_maintenance = now + opt_.maintenance_retry;
            if (!sink_.connected()) throw;
          }
        }
      } catch (const std::exception& e) {
        db_failed(e, synced ? "maintenance" : "reading the committed sequence");
        continue;
      }
    }

    const size_t target =
        batch_target(opt_.batch_size, opt_.batch_max, ring_.stats().depth_entries);
    if (batch.size() < target) {
      const bool was_empty = batch.empty();
      consumer.poll(batch, target - batch.size());
      if (was_empty && !batch.empty()) batch_started = now;
    }
    if (batch.empty()) {
      if (stopping && consumer.caught_up()) break;  // drained
      std::this_thread::sleep_for(idle);
      idle = std::min(idle * 2, milliseconds{stopping ? 1 : 8});
      continue;
    }
    idle = milliseconds{1};

    const bool due =
        batch.size() >= opt_.batch_size || stopping || now - batch_started >= opt_.flush_interval;
    if (!due || !synced || now < next_db_attempt) {
      std::this_thread::sleep_for(milliseconds{1});
      continue;
    }

    const auto t0 = Clock::now();
    try {
      const WriteResult r = sink_.write(ring_id, committed, batch);
      committed = r.committed_seq;
      consumer.release(committed);
      const auto us = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
      stats_.committed_seq = committed;
      stats_.flushed_entries += r.written;
      ++stats_.batches;
      stats_.last_flush_us = us;
      stats_.max_flush_us = std::max(stats_.max_flush_us, us);
      stats_.total_flush_us += us;
      if (r.rejected)
        log::error(std::to_string(r.rejected) +
                   " log entries were refused by PostgreSQL; kept in logs_rejected");
      batch.clear();
      backoff.reset();
      publish(false);
    } catch (const StaleState& e) {
      log::warn(std::string("committed sequence moved under us, re-reading it: ") + e.what());
      synced = false;
    } catch (const std::exception& e) {
      db_failed(e, "writing a batch");
    }
  }

  const auto s = ring_.stats();
  const uint64_t left = s.depth_entries;
  if (left)
    log::warn("stopping with " + std::to_string(left) +
              " log entries still queued (kept in shared memory for the next start)");
  if (const std::string t = sink_.timing_summary(); !t.empty()) log::info(t);
  stats_.pid = 0;  // no flusher attached any more
  stats_.heartbeat_unix_ms = unix_ms();
  ring_.publish_flusher_stats(stats_);
  return left;
}

}  // namespace ez::flusher
