// Traffic-class pools: the master runs an admin pool and an ingest pool, each on
// its own socket; nginx sends /logs and /sync/ to ingest and the rest to admin. Both serve,
// both show in the scoreboard (/admin/status, /metrics), and an ingest pool that is stuck or
// losing workers does not hold up an admin request.
#define BOOST_TEST_MODULE pools
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::HttpResult;
using ez::it::stack;
using namespace std::chrono_literals;

namespace {

Json::Value status() {
  auto r = stack().http("GET", "/admin/status");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  return r.json();
}

// Pids of the running (idle or busy) workers of one pool, from the scoreboard.
std::vector<pid_t> pool_pids(const std::string& pool) {
  std::vector<pid_t> out;
  const Json::Value st = status();  // named: a range-for over status()["workers"] would dangle
  for (const auto& w : st["workers"]) {
    const std::string st = w["state"].asString();
    if (w["pool"].asString() == pool && (st == "idle" || st == "busy"))
      out.push_back(static_cast<pid_t>(w["pid"].asInt64()));
  }
  return out;
}

std::vector<pid_t> full_pool(const std::string& pool, size_t want) {
  std::vector<pid_t> pids;
  stack().wait_until([&] {
    pids = pool_pids(pool);
    return pids.size() == want;
  });
  return pids;
}

HttpResult post_logs(const std::string& id) {
  return stack().http("POST", "/logs", R"({"request_id":")" + id + R"("})", Auth::internal,
                      {{"Content-Type", "application/json"}});
}

std::string metric_line(const std::string& body, const std::string& prefix) {
  const auto at = body.find(prefix);
  if (at == std::string::npos) return "";
  return body.substr(at, body.find('\n', at) - at);
}

}  // namespace

BOOST_AUTO_TEST_CASE(both_pools_serve_and_show_in_the_scoreboard) {
  auto st = status();
  BOOST_TEST(st["pools"]["admin"]["workers_configured"].asInt() == 2);
  BOOST_TEST(st["pools"]["ingest"]["workers_configured"].asInt() == 2);
  BOOST_TEST(st["workers_configured"].asInt() == 4);  // the total
  BOOST_TEST(full_pool("admin", 2).size() == 2u);
  BOOST_TEST(full_pool("ingest", 2).size() == 2u);

  for (int i = 0; i < 6; ++i) BOOST_TEST(post_logs("pools-" + std::to_string(i)).status == 202);
  // The /logs requests went to ingest workers only; this status request to an admin one.
  st = status();
  uint64_t ingest_logs = 0;
  for (const auto& w : st["workers"]) {
    if (w["pool"].asString() == "admin") BOOST_TEST(w["route"].asString() != "/logs");
    if (w["pool"].asString() == "ingest" && w["route"].asString() == "/logs")
      ingest_logs += w["requests"].asUInt64();
  }
  BOOST_TEST(ingest_logs >= 1u);
  bool served_by_admin = false;
  for (const auto& w : st["workers"])
    if (w["slot"].asInt() == st["served_by"].asInt())
      served_by_admin = w["pool"].asString() == "admin";
  BOOST_TEST(served_by_admin);

  auto m = stack().http("GET", "/metrics", "", Auth::none);
  BOOST_REQUIRE(m.status == 200);
  BOOST_TEST(metric_line(m.body, "ezapi_pool_workers_configured{pool=\"admin\"}") ==
             "ezapi_pool_workers_configured{pool=\"admin\"} 2");
  BOOST_TEST(metric_line(m.body, "ezapi_pool_workers_configured{pool=\"ingest\"}") ==
             "ezapi_pool_workers_configured{pool=\"ingest\"} 2");
  BOOST_TEST(m.body.find("ezapi_pool_workers{pool=\"ingest\",state=\"idle\"}") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stuck_or_dying_ingest_pool_does_not_hold_up_admin_requests) {
  auto& s = stack();
  const auto ingest = full_pool("ingest", 2);
  const auto admin = full_pool("admin", 2);
  BOOST_REQUIRE(ingest.size() == 2u);
  BOOST_REQUIRE(admin.size() == 2u);
  const auto admin_restarts = status()["pools"]["admin"]["restarts_total"].asUInt64();
  const auto ingest_crashes = status()["pools"]["ingest"]["restarts"]["crash"].asUInt64();

  // Every ingest worker stopped: a POST /logs waits in the ingest socket's backlog ...
  for (pid_t p : ingest) BOOST_REQUIRE(::kill(p, SIGSTOP) == 0);
  std::atomic<bool> posted{false};
  HttpResult stuck;
  std::thread poster([&] {
    stuck = post_logs("pools-stuck");
    posted = true;
  });
  std::this_thread::sleep_for(300ms);
  // ... while admin requests are served as usual.
  for (int i = 0; i < 5; ++i) {
    auto r = s.http("GET", "/providers?limit=5");
    BOOST_TEST(r.status == 200, describe(r));
  }
  // (/healthz and /readyz are answered by the ingest pool, where exports and searches cannot
  // queue them; a host whose ingest pool is stuck is not ready, so they are not asked here.)
  BOOST_TEST(!posted.load());  // nothing of the admin pool took the ingest request

  // One ingest worker killed: the master replaces it in the ingest pool; the admin pool
  // keeps its workers and counts no restart.
  BOOST_REQUIRE(::kill(ingest[0], SIGKILL) == 0);
  ::kill(ingest[1], SIGCONT);
  poster.join();
  BOOST_TEST(stuck.status == 202, describe(stuck));
  std::vector<pid_t> after;
  const bool replaced = s.wait_until([&] {
    after = pool_pids("ingest");
    return after.size() == 2 && std::find(after.begin(), after.end(), ingest[0]) == after.end();
  });
  BOOST_TEST(replaced);  // two ingest workers again, the killed one not among them
  BOOST_TEST((full_pool("admin", 2) == admin));
  const auto st = status();
  BOOST_TEST(st["pools"]["admin"]["restarts_total"].asUInt64() == admin_restarts);
  BOOST_TEST(st["pools"]["ingest"]["restarts"]["crash"].asUInt64() == ingest_crashes + 1);
  BOOST_TEST(post_logs("pools-after").status == 202);
}
