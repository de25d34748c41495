#include <boost/test/unit_test.hpp>

#include "logq/metrics.h"
#include "logq/ring.h"

using namespace ez;

BOOST_AUTO_TEST_SUITE(logq_status)

BOOST_AUTO_TEST_CASE(reports_depth_lag_and_a_live_flusher) {
  logq::Stats s;
  s.capacity_entries = 1000;
  s.depth_entries = 12;
  s.lag = 15;
  s.enqueued = 500;
  s.refused = 3;
  s.flusher.pid = 4242;
  s.flusher.heartbeat_unix_ms = 1'000'000;
  s.flusher.db_connected = true;
  s.flusher.committed_seq = 485;
  s.flusher.last_flush_us = 2500;
  const Json::Value q = logq::render_logq_status(s, 1'000'400);
  BOOST_TEST(q["capacity_entries"].asUInt64() == 1000u);
  BOOST_TEST(q["depth_entries"].asUInt64() == 12u);
  BOOST_TEST(q["lag_entries"].asUInt64() == 15u);
  BOOST_TEST(q["refused_total"].asUInt64() == 3u);
  BOOST_TEST(q["flusher"]["up"].asBool());
  BOOST_TEST(q["flusher"]["heartbeat_age_ms"].asInt64() == 400);
  BOOST_TEST(q["flusher"]["committed_seq"].asUInt64() == 485u);
  BOOST_TEST(q["flusher"]["last_flush_ms"].asDouble() == 2.5);
}

BOOST_AUTO_TEST_CASE(a_stale_heartbeat_or_no_flusher_is_down) {
  logq::Stats s;
  s.flusher.pid = 7;
  s.flusher.heartbeat_unix_ms = 1'000'000;
  BOOST_TEST(!logq::render_logq_status(s, 1'010'001)["flusher"]["up"].asBool());
  logq::Stats none;
  const Json::Value q = logq::render_logq_status(none, 5);
  BOOST_TEST(!q["flusher"]["up"].asBool());
  BOOST_TEST(q["flusher"]["heartbeat_age_ms"].isNull());
}

BOOST_AUTO_TEST_SUITE_END()
