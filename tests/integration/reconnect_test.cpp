// A worker whose PostgreSQL session is gone (a failover, a restart, an
// administrator's pg_terminate_backend) reconnects and runs the request once
// more: the client sees its write succeed, not a 503 or a 500.
#define BOOST_TEST_MODULE reconnect
#include <boost/test/unit_test.hpp>
#include <string>

#include "support/stack.h"

using ez::it::describe;
using ez::it::stack;
using ez::it::unique;

namespace {

std::string provider_body(const std::string& name) {
  return R"({"name":")" + name +
         R"(","type":"openai","base_url":"https://api.example.com/v1","api_key":"sk-r",)"
         R"("models":["gpt-4o"]})";
}

// Ends every session the control plane holds (workers and syncer).
int terminate_sessions() {
  const auto rows = stack().sql(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE application_name LIKE 'ezapi-worker%'");
  return std::stoi(rows[0][0]);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reconnect)

BOOST_AUTO_TEST_CASE(writes_on_terminated_sessions_are_retried_on_a_new_one) {
  auto& s = stack();
  // Both workers hold a session (requests go to whichever worker is free).
  for (int i = 0; i < 6; ++i) BOOST_REQUIRE(s.http("GET", "/providers").status == 200);
  BOOST_REQUIRE(terminate_sessions() > 0);
  for (int i = 0; i < 4; ++i) {
    const std::string name = unique("after-terminate");
    const auto r = s.http("POST", "/providers", provider_body(name));
    BOOST_TEST(r.status == 201, describe(r));
    BOOST_TEST(s.sql("SELECT count(*) FROM providers WHERE name = '" + name + "'")[0][0] == "1");
  }
}

BOOST_AUTO_TEST_CASE(reads_on_terminated_sessions_are_retried_too) {
  auto& s = stack();
  for (int i = 0; i < 6; ++i) BOOST_REQUIRE(s.http("GET", "/providers").status == 200);
  BOOST_REQUIRE(terminate_sessions() > 0);
  for (int i = 0; i < 4; ++i) {
    const auto r = s.http("GET", "/providers");
    BOOST_TEST(r.status == 200, describe(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()
