// Tests for workers/base/common/backoff.*: the one back-off the PostgreSQL and Redis
// clients and the flusher share, driven with made-up times (no sleeping).
#include "common/backoff.h"

#include <boost/test/unit_test.hpp>
#include <vector>

BOOST_AUTO_TEST_SUITE(base_backoff)

using namespace std::chrono_literals;
using ez::Backoff;

namespace {
const Backoff::TimePoint t0 = Backoff::Clock::now();
}

BOOST_AUTO_TEST_CASE(waits_grow_from_min_and_stop_at_max) {
  Backoff b(100ms, 1000ms);
  BOOST_TEST(b.ready(t0));
  std::vector<long> waits;
  auto now = t0;
  for (int i = 0; i < 6; ++i) {
    const auto wait = b.failed(now);
    waits.push_back(static_cast<long>(wait.count()));
    BOOST_TEST(!b.ready(now + wait - 1ms));
    BOOST_TEST(b.ready(now + wait));
    now += wait;
  }
  BOOST_TEST((waits == std::vector<long>{100, 200, 400, 800, 1000, 1000}));
}

BOOST_AUTO_TEST_CASE(a_success_starts_again_at_min) {
  Backoff b(100ms, 1000ms);
  auto now = t0;
  for (int i = 0; i < 5; ++i) now += b.failed(now);
  b.succeeded();
  BOOST_TEST(b.ready(now));
  BOOST_TEST(b.current().count() == 0);
  BOOST_TEST(b.failed(now).count() == 100);
}

// A caller that is refused by the wait and reports that as a failure (a syncer
// ticking every second against a longer wait) must still get its attempt when the
// wait is over: the refusal is no new failure.
BOOST_AUTO_TEST_CASE(a_failure_reported_while_waiting_does_not_push_the_attempt_out) {
  Backoff b(100ms, 5000ms);
  auto now = t0;
  for (int i = 0; i < 7; ++i) now += b.failed(now);  // up to 5 s
  (void)b.failed(now);
  const auto due = b.not_before();
  BOOST_TEST((due == now + 5000ms));
  int attempts = 0;
  for (auto tick = now + 1s; tick < now + 30s; tick += 1s) {
    if (b.ready(tick)) {
      ++attempts;
      (void)b.failed(tick);  // the attempt itself failed: that one counts
    } else {
      BOOST_TEST((b.failed(tick) == b.not_before() - tick));  // refused: nothing changes
    }
  }
  BOOST_TEST(attempts == 5);  // one every 5 s of the 29 ticks
  BOOST_TEST(b.current().count() == 5000);
}

BOOST_AUTO_TEST_CASE(retry_now_allows_an_attempt_and_keeps_the_count) {
  Backoff b(100ms, 1000ms);
  auto now = t0;
  now += b.failed(now);
  (void)b.failed(now);  // 200 ms
  b.retry_now();
  BOOST_TEST(b.ready(now));
  BOOST_TEST(b.failed(now).count() == 400);
}

BOOST_AUTO_TEST_CASE(jitter_spreads_each_wait_by_a_fifth) {
  Backoff b(100ms, 1000ms, /*jitter=*/true);
  std::vector<long> waits;
  auto now = t0;
  for (int i = 0; i < 8; ++i) {
    const auto wait = b.failed(now);
    waits.push_back(static_cast<long>(wait.count()));
    now += wait;
  }
  BOOST_TEST(waits[0] >= 80);
  BOOST_TEST(waits[0] <= 120);
  BOOST_TEST(waits[1] >= 160);
  BOOST_TEST(waits[1] <= 240);
  for (size_t i = 4; i < waits.size(); ++i) {
    BOOST_TEST(waits[i] >= 800);
    BOOST_TEST(waits[i] <= 1200);
  }
}

BOOST_AUTO_TEST_SUITE_END()
