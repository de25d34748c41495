// Tests for workers/pipeline/flusher/flusher.*: the batching / retry / exactly-once loop, against
// an in-memory sink (the PostgreSQL side is covered by tests/integration/logs_test.cpp).
#include "flusher/flusher.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

using ez::flusher::Flusher;
using ez::flusher::Options;
using ez::flusher::Sink;
using ez::flusher::StaleState;
using ez::flusher::WriteResult;
using ez::logq::Ring;
using namespace std::chrono_literals;

// Transitions print by name in failed checks.
namespace ez::flusher {
std::ostream& operator<<(std::ostream& out, FlushState state) {
  return out << to_string(state);
}
}  // namespace ez::flusher

namespace {

struct TempRing {
  std::string name;
  Ring ring;
  explicit TempRing(uint64_t entries = 1000, uint64_t bytes = 1 << 16)
      : name(make_name()), ring(Ring::open({name, entries, bytes})) {}
  ~TempRing() { Ring::remove(name); }
  static std::string make_name() {
    static int n = 0;
    std::string s = "/ezflusher-test-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    Ring::remove(s);
    return s;
  }
  void put(int count, int first = 0) {
    for (int i = 0; i < count; ++i) {
      const std::string e = "entry-" + std::to_string(first + i);
      const std::string_view v = e;
      BOOST_REQUIRE((ring.enqueue({&v, 1}).status == Ring::Status::ok));
    }
  }
};

// A database in memory, with the same all-or-nothing contract and injectable failures.
class FakeSink : public Sink {
 public:
  uint64_t committed_seq(uint64_t ring_id) override {
    std::lock_guard lock(mu_);
    if (fail_reads > 0) {
      --fail_reads;
      throw std::runtime_error("connection refused");
    }
    connected_ = true;
    return committed_[ring_id];
  }
  WriteResult write(uint64_t ring_id, uint64_t expected,
                    std::span<const ez::logq::Consumer::Entry> entries) override {
    std::lock_guard lock(mu_);
    if (fail_writes > 0) {
      --fail_writes;
      connected_ = false;
      throw std::runtime_error("server closed the connection unexpectedly");
    }
    if (committed_[ring_id] != expected) throw StaleState("moved");
    for (auto& e : entries) rows.emplace_back(e.seq, std::string(e.data));
    batch_sizes.push_back(entries.size());
    committed_[ring_id] = entries.back().seq;
    if (lose_acks > 0) {  // committed, but the answer never arrived
      --lose_acks;
      connected_ = false;
      throw std::runtime_error("connection lost during COMMIT");
    }
    return {entries.back().seq, entries.size(), 0};
  }
  void maintain(int days_ahead, int retention_days) override {
    std::lock_guard lock(mu_);
    ++maintenance_runs;
    last_days_ahead = days_ahead;
    last_retention = retention_days;
  }
  void disconnect() noexcept override {
    std::lock_guard lock(mu_);
    connected_ = false;
  }
  bool connected() const override { return connected_; }

  void set_committed(uint64_t ring_id, uint64_t seq) {
    std::lock_guard lock(mu_);
    committed_[ring_id] = seq;
  }
  size_t row_count() {
    std::lock_guard lock(mu_);
    return rows.size();
  }

  // Read after the flusher thread joined.
  std::vector<std::pair<uint64_t, std::string>> rows;
  std::vector<size_t> batch_sizes;
  int fail_writes = 0, fail_reads = 0, lose_acks = 0, maintenance_runs = 0;
  int last_days_ahead = 0, last_retention = 0;

 private:
  std::mutex mu_;
  std::map<uint64_t, uint64_t> committed_;
  std::atomic<bool> connected_{false};
};

Options quick(size_t batch, std::chrono::milliseconds interval) {
  Options o;
  o.batch_size = batch;
  o.flush_interval = interval;
  o.backoff_min = 5ms;
  o.backoff_max = 20ms;
  o.drain_timeout = 10s;
  o.consumer.unwritten_timeout = 50ms;
  o.consumer.dead_producer_timeout = 20ms;
  return o;
}

// Runs the flusher on a thread until `done` holds (or 10 s), then stops it and joins.
template <typename Done>
uint64_t run_until(Flusher& f, Done done) {
  std::atomic<bool> stop{false};
  uint64_t left = 0;
  std::thread t([&] { left = f.run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  stop = true;
  t.join();
  return left;
}

void expect_exactly(const FakeSink& sink, uint64_t first_seq, uint64_t last_seq) {
  BOOST_REQUIRE(sink.rows.size() == last_seq - first_seq + 1);
  for (size_t i = 0; i < sink.rows.size(); ++i) BOOST_REQUIRE(sink.rows[i].first == first_seq + i);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(flusher_loop)

BOOST_AUTO_TEST_CASE(batches_are_capped_at_batch_size) {
  TempRing r;
  r.put(23);
  FakeSink sink;
  Options o = quick(5, 10s);
  o.batch_max = 5;  // no growth with a backlog: batch_size is the cap
  Flusher f(r.ring, sink, o);
  const uint64_t left = run_until(f, [&] { return sink.row_count() >= 20; });
  BOOST_TEST(left == 0u);
  expect_exactly(sink, 1, 23);  // the last 3 went out when it was told to stop (drain)
  for (size_t b : sink.batch_sizes) BOOST_TEST(b <= 5u);
  BOOST_TEST(sink.batch_sizes.front() == 5u);
  BOOST_TEST(sink.rows[22].second == "entry-22");
  auto s = r.ring.stats();
  BOOST_TEST(s.consumed == 23u);
  BOOST_TEST(s.flusher.flushed_entries == 23u);
  BOOST_TEST(s.flusher.batches == sink.batch_sizes.size());
  BOOST_TEST(s.flusher.committed_seq == 23u);
  BOOST_TEST(s.flusher.pid == 0);  // exited cleanly
  BOOST_TEST(s.lag == 0u);
  BOOST_TEST(sink.maintenance_runs == 1);
}

BOOST_AUTO_TEST_CASE(batch_target_is_batch_size_when_short_and_grows_with_a_backlog) {
  using ez::flusher::batch_target;
  BOOST_TEST(batch_target(10, 5000, 0) == 10u);  // idle: wait for batch_size (or the timer)
  BOOST_TEST(batch_target(10, 5000, 7) == 10u);
  BOOST_TEST(batch_target(10, 5000, 10) == 10u);
  BOOST_TEST(batch_target(10, 5000, 11) == 11u);  // a backlog: take all of it ...
  BOOST_TEST(batch_target(10, 5000, 3000) == 3000u);
  BOOST_TEST(batch_target(10, 5000, 1'000'000) == 5000u);  // ... up to batch_max
  BOOST_TEST(batch_target(10, 10, 1'000'000) == 10u);      // batch_max = batch_size: no growth
  BOOST_TEST(batch_target(100, 20, 1'000'000) == 100u);    // a smaller max never shrinks it
  BOOST_TEST(batch_target(0, 0, 5) == 1u);                 // degenerate settings still progress
}

BOOST_AUTO_TEST_CASE(a_backlog_goes_out_in_transactions_up_to_batch_max) {
  TempRing r;
  r.put(23);  // queued before the flusher starts: a backlog of 23 > batch_size 5
  FakeSink sink;
  Options o = quick(5, 10s);
  o.batch_max = 12;
  Flusher f(r.ring, sink, o);
  run_until(f, [&] { return sink.row_count() >= 23; });
  expect_exactly(sink, 1, 23);
  BOOST_REQUIRE(sink.batch_sizes.size() == 2u);
  BOOST_TEST(sink.batch_sizes[0] == 12u);  // capped at batch_max
  BOOST_TEST(sink.batch_sizes[1] == 11u);  // the rest, still more than batch_size
}

BOOST_AUTO_TEST_CASE(a_partial_batch_goes_out_after_flush_interval) {
  TempRing r;
  r.put(3);
  FakeSink sink;
  Flusher f(r.ring, sink, quick(1000, 20ms));
  run_until(f, [&] { return sink.row_count() >= 3; });
  expect_exactly(sink, 1, 3);
  BOOST_TEST(sink.batch_sizes.size() >= 1u);
}

BOOST_AUTO_TEST_CASE(database_errors_are_retried_without_loss_or_duplicates) {
  TempRing r;
  r.put(50);
  FakeSink sink;
  sink.fail_reads = 2;
  sink.fail_writes = 3;
  sink.lose_acks = 2;  // committed but reported as failed: must not be written twice
  Options o = quick(7, 5ms);
  o.batch_max = 7;  // many small transactions, so every injected failure gets its turn
  Flusher f(r.ring, sink, o);
  std::thread producer([&] { r.put(50, 50); });
  run_until(f, [&] { return sink.row_count() >= 100; });
  producer.join();
  expect_exactly(sink, 1, 100);
  BOOST_TEST(sink.rows[99].second == "entry-99");
  auto s = r.ring.stats();
  BOOST_TEST(s.flusher.db_errors == 7u);
  BOOST_TEST(s.depth_entries == 0u);
}

BOOST_AUTO_TEST_CASE(the_oldest_unlanded_age_stays_while_writes_fail_and_clears_once_landed) {
  TempRing r;
  r.put(5);
  const int64_t queued_at = r.ring.stats().unlanded_since_unix_ms;
  BOOST_REQUIRE(queued_at != 0);
  FakeSink sink;
  sink.fail_writes = 1'000'000;  // PostgreSQL down: nothing lands
  Options o = quick(5, 5ms);
  o.drain_timeout = 50ms;  // the stop below must not wait for a database that never answers
  Flusher down(r.ring, sink, o);
  run_until(down, [&] { return r.ring.stats().flusher.db_errors >= 3; });
  // The entries still wait since they were queued (not since the flusher last looked).
  BOOST_TEST(r.ring.stats().unlanded_since_unix_ms == queued_at);
  BOOST_TEST(r.ring.stats().lag == 5u);

  sink.fail_writes = 0;
  Flusher up(r.ring, sink, quick(5, 5ms));
  run_until(up, [&] { return sink.row_count() >= 5; });
  const auto s = r.ring.stats();
  BOOST_TEST(s.lag == 0u);
  BOOST_TEST(s.unlanded_since_unix_ms == 0);  // nothing waits: the age is 0, not growing
}

BOOST_AUTO_TEST_CASE(restart_skips_what_the_database_already_has) {
  TempRing r;
  r.put(10);
  FakeSink sink;
  {
    // A previous flusher read everything and committed up to 6, then died before
    // releasing any queue space.
    ez::logq::Consumer c(r.ring);
    std::vector<ez::logq::Consumer::Entry> got;
    BOOST_REQUIRE(c.poll(got, 100) == 10u);
  }
  sink.set_committed(r.ring.ring_id(), 6);
  Flusher f(r.ring, sink, quick(100, 5ms));
  run_until(f, [&] { return sink.row_count() >= 4; });
  expect_exactly(sink, 7, 10);
  BOOST_TEST(r.ring.stats().depth_entries == 0u);
}

BOOST_AUTO_TEST_CASE(state_moved_elsewhere_is_re_read) {
  TempRing r;
  r.put(5);
  FakeSink sink;
  Flusher f(r.ring, sink, quick(100, 5ms));
  std::atomic<bool> stop{false};
  std::thread t([&] { f.run(stop); });
  while (sink.row_count() < 5) std::this_thread::sleep_for(1ms);
  // Someone else (a restored backup, an operator) moved the row: the next write is refused
  // with StaleState and the flusher re-reads before writing again.
  sink.set_committed(r.ring.ring_id(), 7);
  r.put(5, 5);  // seqs 6..10; 6 and 7 count as written already
  while (sink.row_count() < 8) std::this_thread::sleep_for(1ms);
  stop = true;
  t.join();
  BOOST_REQUIRE(sink.rows.size() == 8u);
  BOOST_TEST(sink.rows[5].first == 8u);
  BOOST_TEST(sink.rows[7].first == 10u);
}

BOOST_AUTO_TEST_CASE(stop_drains_the_queue) {
  TempRing r;
  r.put(100);
  FakeSink sink;
  Flusher f(r.ring, sink, quick(10, 60s));  // would otherwise wait a minute
  std::atomic<bool> stop{true};
  const uint64_t left = f.run(stop);
  BOOST_TEST(left == 0u);
  expect_exactly(sink, 1, 100);
  BOOST_TEST(sink.maintenance_runs == 0);  // no maintenance while stopping
}

BOOST_AUTO_TEST_CASE(database_down_during_stop_keeps_the_entries_queued) {
  TempRing r;
  r.put(20);
  FakeSink sink;
  sink.fail_reads = 1000000;
  Options o = quick(10, 5ms);
  o.drain_timeout = 100ms;
  Flusher f(r.ring, sink, o);
  std::atomic<bool> stop{true};
  BOOST_TEST(f.run(stop) == 20u);
  BOOST_TEST(sink.rows.empty());
  // Still there for the next flusher.
  sink.fail_reads = 0;
  Flusher again(r.ring, sink, quick(10, 5ms));
  std::atomic<bool> stop2{true};
  BOOST_TEST(again.run(stop2) == 0u);
  expect_exactly(sink, 1, 20);
}

BOOST_AUTO_TEST_CASE(one_flusher_per_queue) {
  TempRing r;
  FakeSink sink;
  Flusher first(r.ring, sink, quick(10, 5ms));
  std::atomic<bool> stop{false};
  std::thread t([&] { first.run(stop); });
  // Wait until the first one holds the queue (its heartbeat shows its pid).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (r.ring.stats().flusher.pid == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  Flusher second(r.ring, sink, quick(10, 5ms));
  std::atomic<bool> stop2{true};
  BOOST_CHECK_THROW(second.run(stop2), ez::logq::RingError);
  stop = true;
  t.join();
}

// ---- the state machine, one transition at a time (made-up times, no threads) -----------------

namespace {

using ez::flusher::FlushMachine;
using ez::flusher::FlushState;
using MClock = FlushMachine::Clock;

// A machine over its own consumer, as Flusher::run builds it.
struct Machine {
  TempRing& r;
  FakeSink& sink;
  Options opt;
  ez::logq::Consumer consumer;
  ez::logq::FlusherStats stats;
  int publishes = 0;
  FlushMachine m;
  Machine(TempRing& ring, FakeSink& s, Options o)
      : r(ring),
        sink(s),
        opt(std::move(o)),
        consumer(r.ring, opt.consumer),
        m(r.ring, consumer, sink, opt, stats, [this](bool) { ++publishes; }) {}
  FlushState step(MClock::time_point now, bool stop = false) { return m.step(now, stop).state; }
};

Options slow_backoff(size_t batch, std::chrono::milliseconds interval) {
  Options o = quick(batch, interval);
  o.backoff_min = o.backoff_max = 10min;  // +-20%: a retry is due 8..12 minutes later
  o.maintenance_interval = 24h;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(machine_syncs_then_fills_a_batch_until_it_is_due_then_writes_it) {
  TempRing r;
  r.put(3);
  FakeSink sink;
  Machine x(r, sink, slow_backoff(5, 1s));
  const auto t = MClock::now();
  BOOST_TEST(x.m.state() == FlushState::syncing);
  BOOST_TEST(x.step(t) == FlushState::idle);  // committed sequence read, maintenance run
  BOOST_TEST(sink.maintenance_runs == 1);
  BOOST_TEST(x.step(t) == FlushState::filling);  // 3 of batch_size 5: not due yet
  BOOST_TEST(x.m.batched() == 3u);
  BOOST_TEST(x.step(t + 500ms) == FlushState::filling);
  BOOST_TEST(sink.rows.empty());
  BOOST_TEST(x.step(t + 1s) == FlushState::writing);  // flush_interval since the first entry
  BOOST_TEST(x.step(t + 1s) == FlushState::idle);
  expect_exactly(sink, 1, 3);
  BOOST_TEST(x.m.committed() == 3u);
  BOOST_TEST(x.stats.batches == 1u);
  BOOST_TEST(r.ring.stats().depth_entries == 0u);  // released after the commit
  BOOST_TEST(x.step(t + 2s) == FlushState::idle);  // nothing new
}

BOOST_AUTO_TEST_CASE(machine_backs_off_after_a_failed_write_and_keeps_the_batch) {
  TempRing r;
  r.put(2);
  FakeSink sink;
  sink.fail_writes = 1;
  Machine x(r, sink, slow_backoff(2, 1s));
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::idle);
  BOOST_TEST(x.step(t) == FlushState::writing);  // batch_size reached
  BOOST_TEST(x.step(t) == FlushState::backoff);
  BOOST_TEST(x.stats.db_errors == 1u);
  BOOST_TEST(x.m.batched() == 2u);                 // kept for the retry
  BOOST_TEST(r.ring.stats().depth_entries == 2u);  // and still in the queue
  const auto nap = x.m.step(MClock::now(), false);
  BOOST_TEST(nap.state == FlushState::backoff);  // not before the back-off has passed
  BOOST_TEST(nap.sleep.count() > 0);
  BOOST_TEST(nap.sleep <= 8ms);  // short naps: a stop request is still seen
  BOOST_TEST(x.step(t + 30min) == FlushState::syncing);
  BOOST_TEST(x.step(t + 30min) == FlushState::filling);  // re-read, batch still in hand
  BOOST_TEST(x.step(t + 30min) == FlushState::writing);
  BOOST_TEST(x.step(t + 30min) == FlushState::idle);
  expect_exactly(sink, 1, 2);
}

BOOST_AUTO_TEST_CASE(machine_retries_reading_the_committed_sequence_after_back_off) {
  TempRing r;
  FakeSink sink;
  sink.fail_reads = 2;
  Machine x(r, sink, slow_backoff(2, 1s));
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::backoff);
  BOOST_TEST(x.step(t + 30min) == FlushState::syncing);
  BOOST_TEST(x.step(t + 30min) == FlushState::backoff);
  BOOST_TEST(x.step(t + 60min) == FlushState::syncing);
  BOOST_TEST(x.step(t + 60min) == FlushState::idle);
  BOOST_TEST(x.stats.db_errors == 2u);
  BOOST_TEST(sink.maintenance_runs == 1);  // after the read succeeded, not before
}

BOOST_AUTO_TEST_CASE(machine_re_reads_a_committed_sequence_moved_under_it) {
  TempRing r;
  r.put(2);
  FakeSink sink;
  Machine x(r, sink, slow_backoff(2, 1s));
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::idle);
  sink.set_committed(r.ring.ring_id(), 1);  // entry 1 is durable already (another writer)
  BOOST_TEST(x.step(t) == FlushState::writing);
  BOOST_TEST(x.step(t) == FlushState::syncing);  // StaleState: no back-off, no error count
  BOOST_TEST(x.stats.db_errors == 0u);
  BOOST_TEST(x.step(t) == FlushState::filling);  // entry 1 dropped from the batch
  BOOST_TEST(x.m.batched() == 1u);
  BOOST_TEST(x.step(t + 1s) == FlushState::writing);
  BOOST_TEST(x.step(t + 1s) == FlushState::idle);
  expect_exactly(sink, 2, 2);
}

BOOST_AUTO_TEST_CASE(machine_drains_on_stop_without_waiting_for_the_timer) {
  TempRing r;
  r.put(3);
  FakeSink sink;
  Machine x(r, sink, slow_backoff(10, 60s));
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::idle);
  BOOST_TEST(x.step(t, true) == FlushState::writing);  // draining: every batch is due
  BOOST_TEST(x.step(t, true) == FlushState::draining);
  BOOST_TEST(x.step(t, true) == FlushState::stopped);  // queue empty
  expect_exactly(sink, 1, 3);
  BOOST_TEST(x.step(t, true) == FlushState::stopped);  // and stays so
}

BOOST_AUTO_TEST_CASE(machine_stops_at_drain_timeout_with_the_database_down) {
  TempRing r;
  r.put(2);
  FakeSink sink;
  sink.fail_reads = 1000;
  Options o = slow_backoff(10, 1s);
  o.drain_timeout = 100ms;
  Machine x(r, sink, o);
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::backoff);
  BOOST_TEST(x.step(t, true) == FlushState::backoff);  // entries queued: wait for the database
  BOOST_TEST(x.step(t + 99ms, true) == FlushState::backoff);
  BOOST_TEST(x.step(t + 100ms, true) == FlushState::stopped);
  BOOST_TEST(sink.rows.empty());
  BOOST_TEST(r.ring.stats().depth_entries == 2u);  // left for the next flusher
}

BOOST_AUTO_TEST_CASE(machine_stops_at_once_when_nothing_is_queued_and_the_database_is_down) {
  TempRing r;
  FakeSink sink;
  sink.fail_reads = 1000;
  Machine x(r, sink, slow_backoff(10, 1s));
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::backoff);
  BOOST_TEST(x.step(t, true) == FlushState::stopped);
}

BOOST_AUTO_TEST_CASE(machine_runs_maintenance_again_after_its_interval_but_not_while_stopping) {
  TempRing r;
  FakeSink sink;
  Options o = slow_backoff(10, 1s);
  o.maintenance_interval = 1h;
  Machine x(r, sink, o);
  const auto t = MClock::now();
  BOOST_TEST(x.step(t) == FlushState::idle);
  BOOST_TEST(x.step(t + 59min) == FlushState::idle);
  BOOST_TEST(sink.maintenance_runs == 1);
  BOOST_TEST(x.step(t + 61min) == FlushState::syncing);
  BOOST_TEST(x.step(t + 61min) == FlushState::idle);
  BOOST_TEST(sink.maintenance_runs == 2);
  BOOST_TEST(sink.last_days_ahead == o.partition_days_ahead);
  BOOST_TEST(sink.last_retention == o.retention_days);
  BOOST_TEST(x.step(t + 200min, true) == FlushState::stopped);  // drained, no maintenance
  BOOST_TEST(sink.maintenance_runs == 2);
}

BOOST_AUTO_TEST_SUITE_END()
