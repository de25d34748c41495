// Tests for workers/services/snapshot/health.*: the one definition of degraded sync
// and how GET /metrics, /admin/status and /readyz show it.
#include "snapshot/health.h"

#include <boost/test/unit_test.hpp>
#include <string>

using ez::snapshot::judge_sync;

BOOST_AUTO_TEST_SUITE(snapshot_health)

BOOST_AUTO_TEST_CASE(fresh_pushes_and_no_pending_rows_are_not_degraded) {
  const auto h = judge_sync(0.0, 0.5, 60);
  BOOST_TEST(!h.degraded);
  BOOST_TEST(h.reason.empty());
  BOOST_TEST(!judge_sync(60.0, 60.0, 60).degraded);  // "older than": the bound itself is fine
}

BOOST_AUTO_TEST_CASE(an_old_pending_row_is_degraded_even_with_recent_pushes) {
  const auto h = judge_sync(61.0, 1.0, 60);
  BOOST_TEST(h.degraded);
  BOOST_TEST(h.reason.find("outbox") != std::string::npos);
}

// Nothing is written, so nothing is pending, but nobody has reached Redis for a
// while (a syncer that stopped connecting): degraded all the same.
BOOST_AUTO_TEST_CASE(an_old_last_push_is_degraded_with_nothing_pending) {
  const auto h = judge_sync(0.0, 75.0, 60);
  BOOST_TEST(h.degraded);
  BOOST_TEST(h.reason.find("Redis was last made current 75 s ago") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_ages_decide_nothing) {
  BOOST_TEST(!judge_sync(std::nullopt, std::nullopt, 60).degraded);
  BOOST_TEST(judge_sync(std::nullopt, 61.0, 60).degraded);
  BOOST_TEST(judge_sync(61.0, std::nullopt, 60).degraded);
}

BOOST_AUTO_TEST_CASE(metrics_carry_the_three_names) {
  std::string out;
  ez::snapshot::append_sync_metrics(judge_sync(2.5, 90.0, 60), out);
  for (const char* line : {"# TYPE ezapi_sync_degraded gauge\n", "ezapi_sync_degraded 1\n",
                           "ezapi_sync_outbox_oldest_pending_age_seconds 2.5\n",
                           "ezapi_sync_last_push_age_seconds 90\n"})
    BOOST_TEST(out.find(line) != std::string::npos, line);
  out.clear();
  ez::snapshot::append_sync_metrics(judge_sync(std::nullopt, 1.0, 60), out);
  BOOST_TEST(out.find("ezapi_sync_degraded 0\n") != std::string::npos);
  BOOST_TEST(out.find("ezapi_sync_outbox_oldest_pending_age_seconds") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_json_names_the_state_both_ages_and_the_threshold) {
  const auto v = ez::snapshot::sync_health_json(judge_sync(0.0, 90.0, 60));
  BOOST_TEST(v["degraded"].asBool());
  BOOST_TEST(v["outbox_oldest_pending_age_seconds"].asDouble() == 0.0);
  BOOST_TEST(v["last_push_age_seconds"].asDouble() == 90.0);
  BOOST_TEST(v["degraded_after_s"].asInt() == 60);
  BOOST_TEST(!v["reason"].asString().empty());
  const auto unknown = ez::snapshot::sync_health_json(judge_sync(std::nullopt, 1.0, 60));
  BOOST_TEST(unknown["outbox_oldest_pending_age_seconds"].isNull());
  BOOST_TEST(!unknown["degraded"].asBool());
  BOOST_TEST(!unknown.isMember("reason"));
}

BOOST_AUTO_TEST_SUITE_END()
