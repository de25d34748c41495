// A single Redis (no Sentinel) that is down for longer than the connect back-off and
// comes back empty: the syncer reconnects on its own, rebuilds Redis and replays the
// outbox, with no admin write, no POST /sync/snapshot and no restart; meanwhile sync
// shows as degraded on /metrics, /admin/status and /readyz, and stops being degraded
// once healed.
#define BOOST_TEST_MODULE sync_heal
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/hash.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::js;
using ez::it::Stack;
using ez::it::stack;
using ez::it::unique;
using namespace std::chrono_literals;

namespace {

constexpr int kDegradedAfterS = 3;

struct HealEnv {
  HealEnv() { Stack::set_env("EZ_SYNC_DEGRADED_AFTER_S", std::to_string(kDegradedAfterS)); }
};
BOOST_TEST_GLOBAL_FIXTURE(HealEnv);

Json::Value post(const std::string& path, const Json::Value& body) {
  auto r = stack().http("POST", path, js(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201, path << ": " << describe(r));
  return r.json();
}

// A new key of `master_id`; returns its hash (the field of config:keys).
std::string new_key(const std::string& master_id) {
  const auto key = post("/admin/masters/" + master_id + "/keys", Json::Value(Json::objectValue));
  return ez::sha256_hex(key["key"].asString());
}

bool in_redis(const std::string& hash) {
  try {
    const auto r = stack().redis({"HEXISTS", "config:keys", hash});
    return !r.empty() && r[0] == "1";
  } catch (const std::exception&) {
    return false;
  }
}

std::string pending_rows() {
  return stack().sql("SELECT count(*) FROM sync_outbox")[0][0];
}

std::string metrics() {
  const auto r = stack().http("GET", "/metrics", "", Auth::none);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  return r.body;
}

bool metrics_say_degraded(bool degraded) {
  return metrics().find(std::string("\nezapi_sync_degraded ") + (degraded ? "1" : "0") + "\n") !=
         std::string::npos;
}

Json::Value status_sync() {
  const auto r = stack().http("GET", "/admin/status");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  return r.json()["sync"];
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_empty_redis_back_after_ten_seconds_is_rebuilt_without_an_admin_write) {
  auto& s = stack();
  Json::Value m(Json::objectValue);
  m["name"] = unique("heal-master");
  const std::string mid = std::to_string(post("/admin/masters", m)["id"].asInt64());
  const std::string before = new_key(mid);
  BOOST_REQUIRE(s.wait_until([&] { return in_redis(before); }));
  BOOST_REQUIRE(s.wait_until([&] { return metrics_say_degraded(false); }));

  s.stop("redis");
  std::error_code ec;
  std::filesystem::remove_all(s.dir + "/redis", ec);  // its AOF: it comes back empty
  BOOST_REQUIRE(!ec);
  // A write while Redis is down: it succeeds and waits in the outbox.
  const std::string during = new_key(mid);
  BOOST_TEST(pending_rows() != "0");

  // Down for longer than sync.degraded_after_s: every view says degraded.
  BOOST_TEST(s.wait_until([&] { return metrics_say_degraded(true); }, 8000));
  const auto st = status_sync();
  BOOST_TEST(st["degraded"].asBool(), st.toStyledString());
  BOOST_TEST(st["degraded_after_s"].asInt() == kDegradedAfterS);
  // Degraded by the older of the two ages: the last push came before Redis stopped, the
  // pending row after it, so the push age is past the threshold and the row is waiting.
  BOOST_TEST(st["last_push_age_seconds"].asDouble() > kDegradedAfterS);
  BOOST_TEST(st["outbox_oldest_pending_age_seconds"].asDouble() > 0);
  const auto ready = s.http("GET", "/readyz", "", Auth::none);
  BOOST_TEST(ready.json()["checks"]["sync"]["degraded"].asBool(), describe(ready));

  // Ten seconds in all: far past the time the connect back-off reaches its cap.
  std::this_thread::sleep_for(10s - 3s);
  BOOST_REQUIRE(s.stack_cmd("up") == 0);
  // Redis answers again (`up` waits for its PING): the syncer alone brings it back.
  BOOST_TEST(s.wait_until([&] { return in_redis(before) && in_redis(during); }, 5000),
             "config:keys is not rebuilt within 5 s of Redis coming back");
  BOOST_TEST(s.wait_until([&] { return pending_rows() == "0"; }, 5000),
             "the outbox is not replayed within 5 s of Redis coming back");

  BOOST_TEST(s.wait_until([&] { return metrics_say_degraded(false); }, 5000));
  const auto healed = status_sync();
  BOOST_TEST(!healed["degraded"].asBool(), healed.toStyledString());
  BOOST_TEST(healed["outbox_oldest_pending_age_seconds"].asDouble() == 0.0);
  BOOST_TEST(healed["last_push_age_seconds"].asDouble() < kDegradedAfterS);
  // The worker that answers found its Redis connection closed by the restart: its probe
  // reconnects at once instead of reporting Redis down.
  const auto ok = s.http("GET", "/readyz", "", Auth::none);
  BOOST_TEST(ok.status == 200, describe(ok));
  BOOST_TEST(!ok.json()["checks"]["sync"]["degraded"].asBool(), describe(ok));
}
