// Tests for workers/pipeline/logq/unlanded.* and the ring's unlanded mark: how long the
// oldest log entry not yet durable has waited (ezapi_logq_oldest_unlanded_age_seconds).
#include "logq/unlanded.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <string_view>

#include "common/time.h"
#include "logq/metrics.h"
#include "logq/ring.h"

using ez::logq::Ring;
using ez::logq::UnlandedClock;

namespace {

struct TempRing {
  std::string name;
  Ring ring;
  TempRing() : name(make_name()), ring(Ring::open({name, 100, 1 << 16})) {}
  ~TempRing() { Ring::remove(name); }
  static std::string make_name() {
    static int n = 0;
    std::string s = "/ezunlanded-test-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    Ring::remove(s);
    return s;
  }
  void put() {
    const std::string_view v = "entry";
    BOOST_REQUIRE((ring.enqueue({&v, 1}).status == Ring::Status::ok));
  }
  void commit_through(uint64_t seq) {
    ez::logq::FlusherStats f = ring.stats().flusher;
    f.committed_seq = seq;
    ring.publish_flusher_stats(f);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(logq_unlanded)

BOOST_AUTO_TEST_CASE(the_oldest_waiting_entry_is_dated_by_the_first_sample_that_shows_it) {
  UnlandedClock c;
  BOOST_TEST(c.since(0) == 0);  // nothing seen
  c.observe(1000, 1);           // empty queue: next sequence 1
  c.observe(2000, 4);           // entries 1..3 queued by 2000
  c.observe(2500, 4);           // nothing new: not kept
  c.observe(3000, 9);           // entries 4..8 queued by 3000
  BOOST_TEST(c.samples() == 3u);
  BOOST_TEST(c.since(0) == 2000);  // entry 1 waits since 2000
  BOOST_TEST(c.since(2) == 2000);  // entry 3 too
  BOOST_TEST(c.since(3) == 3000);  // entry 4 was first seen at 3000
  BOOST_TEST(c.since(8) == 0);     // all landed
  BOOST_TEST(c.samples() == 0u);
}

BOOST_AUTO_TEST_CASE(age_is_zero_without_lag_and_counts_from_the_mark_otherwise) {
  ez::logq::Stats s;
  s.unlanded_since_unix_ms = 10'000;
  BOOST_TEST(ez::logq::oldest_unlanded_age_seconds(s, 45'000) == 0.0);  // lag 0: nothing waits
  s.lag = 3;
  BOOST_TEST(ez::logq::oldest_unlanded_age_seconds(s, 45'000) == 35.0);
  BOOST_TEST(ez::logq::oldest_unlanded_age_seconds(s, 9'000) == 0.0);  // clock went back
  s.unlanded_since_unix_ms = 0;
  BOOST_TEST(ez::logq::oldest_unlanded_age_seconds(s, 45'000) == 0.0);
  s.unlanded_since_unix_ms = 40'000;
  BOOST_TEST(ez::logq::render_logq_status(s, 45'500)["oldest_unlanded_age_ms"].asInt64() == 5500);
}

BOOST_AUTO_TEST_CASE(a_producer_starts_the_clock_on_an_empty_backlog_only) {
  TempRing r;
  BOOST_TEST(r.ring.stats().unlanded_since_unix_ms == 0);
  const int64_t before = ez::unix_now_ms();
  r.put();
  const int64_t first = r.ring.stats().unlanded_since_unix_ms;
  BOOST_TEST(first >= before);
  BOOST_TEST(first <= ez::unix_now_ms());
  r.ring.publish_unlanded(first - 5000, ez::unix_now_ms());  // the flusher knows better
  r.put();  // a backlog is waiting already: the producer leaves the mark alone
  BOOST_TEST(r.ring.stats().unlanded_since_unix_ms == first - 5000);
}

BOOST_AUTO_TEST_CASE(clearing_keeps_a_mark_for_entries_claimed_meanwhile) {
  TempRing r;
  r.put();
  r.put();  // found the mark set: did not set it again
  r.commit_through(1);
  // The flusher saw nothing after 1 (its last sample predates entry 2): it clears, looks
  // at the tail again and dates entry 2 no later than now.
  r.ring.publish_unlanded(0, 777);
  BOOST_TEST(r.ring.stats().unlanded_since_unix_ms == 777);
  r.commit_through(2);
  r.ring.publish_unlanded(0, 888);
  BOOST_TEST(r.ring.stats().unlanded_since_unix_ms == 0);  // everything landed
  BOOST_TEST(ez::logq::oldest_unlanded_age_seconds(r.ring.stats(), ez::unix_now_ms()) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
