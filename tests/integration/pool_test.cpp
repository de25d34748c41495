// The prefork pool as an operator meets it: workers replaced when they die, recycled
// after max_requests, killed on a request timeout, rolled on SIGHUP without a failed
// request, drained on SIGTERM with nothing left behind; JSON errors through nginx.
//
// Some cases talk FastCGI to the master's socket directly (support/fcgi_client.h) to
// hold a request open at a chosen point, which nginx would not let a test do.
#define BOOST_TEST_MODULE pool
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "prefork/scoreboard.h"
#include "support/fcgi_client.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::FcgiClient;
using ez::it::Stack;

namespace {

constexpr int kMaxRequests = 40;
constexpr int kRequestTimeoutMs = 3000;
constexpr int kMaxBody = 4096;
// Both pools' workers (admin 2 + ingest 2): the master's children but the syncer.
constexpr size_t kWorkers = 4;

// The stack of this binary, with a small max_requests (recycling happens during the
// other tests too, which is part of the point), a short request timeout and a small
// body limit.
Stack& pool() {
  static bool configured = [] {
    Stack::set_env("EZ_WORKERS_MAX_REQUESTS", std::to_string(kMaxRequests));
    Stack::set_env("EZ_WORKERS_REQUEST_TIMEOUT_MS", std::to_string(kRequestTimeoutMs));
    Stack::set_env("EZ_HTTP_MAX_BODY_BYTES", std::to_string(kMaxBody));
    // Past the request timeout: the half-sent requests here must reach the master's kill
    // (starvation_test covers the worker's own read deadline).
    Stack::set_env("EZ_FASTCGI_READ_TIMEOUT_MS", "600000");
    return true;
  }();
  (void)configured;
  return ez::it::stack();
}

std::string socket_path() {
  return pool().dir + "/run/ezapi.sock";
}

Json::Value status() {
  auto r = pool().http("GET", "/admin/status");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  return r.json();
}

uint64_t restarts(const char* reason) {
  return status()["restarts"][reason].asUInt64();
}

// The workers once the pool is full again (a recycled one may be in the middle of
// being replaced when a test starts).
std::vector<pid_t> full_pool() {
  std::vector<pid_t> pids;
  pool().wait_until([&] {
    pids = pool().worker_pids();
    return pids.size() == kWorkers;
  });
  return pids;
}

// The admin pool's running workers (the ones on socket_path()), from the scoreboard.
std::vector<pid_t> admin_pids() {
  std::vector<pid_t> out;
  const Json::Value st = status();  // named: a range-for over status()["workers"] would dangle
  for (const auto& w : st["workers"]) {
    const std::string state = w["state"].asString();
    if (w["pool"].asString() == "admin" && (state == "idle" || state == "busy"))
      out.push_back(static_cast<pid_t>(w["pid"].asInt64()));
  }
  return out;
}

// Alive and not a zombie (a reparented master may linger as one until init reaps it).
bool alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close == std::string::npos || line.size() < close + 3 || line[close + 2] != 'Z';
}

// The master's scoreboard, read directly: while every worker is busy, nothing can
// answer /admin/status.
ez::prefork::Scoreboard scoreboard() {
  const auto loaded = ez::config::load(pool().dir + "/config.yaml");
  return ez::prefork::Scoreboard::attach(loaded.settings.scoreboard_shm_name());
}

int busy_workers() {
  int n = 0;
  for (const auto& w : scoreboard().active_slots())
    if (w.state == ez::prefork::WorkerState::busy) ++n;
  return n;
}

// "Gid:" of /proc/PID/status (the real gid).
gid_t gid_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Gid:", 0) == 0) return static_cast<gid_t>(std::stoul(line.substr(4)));
  return static_cast<gid_t>(-1);
}

// Pids whose parent is `parent` (nginx's worker processes, say).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// The value of an unlabelled sample in GET /metrics, or -1 when it is absent.
double metric(const std::string& name) {
  const auto r = pool().http("GET", "/metrics", "", Auth::none);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  const std::string key = "\n" + name + " ";
  const auto p = r.body.find(key);
  if (p == std::string::npos) return -1;
  return std::stod(r.body.substr(p + key.size()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(healthz_through_nginx) {
  auto r = pool().http("GET", "/healthz", "", Auth::none);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json()["status"].asString() == "ok");
  BOOST_TEST(!r.header("x-request-id").empty());
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_json) {
  auto r = pool().http("DELETE", "/healthz", "", Auth::none);
  BOOST_TEST(r.status == 405);
  BOOST_TEST(r.json()["code"].asString() == "method_not_allowed");
  BOOST_TEST(r.header("allow").find("GET") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_json) {
  auto r = pool().http("GET", "/admin/no-such-thing");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.json()["code"].asString() == "not_found");
}

BOOST_AUTO_TEST_CASE(over_limit_body_is_413_json) {
  // Through nginx (which enforces the same limit first) ...
  auto r = pool().http("POST", "/logs", std::string(kMaxBody + 1000, 'x'), Auth::internal);
  BOOST_TEST(r.status == 413);
  BOOST_TEST(r.json()["code"].asString() == "payload_too_large");

  // ... and by the worker itself, which drains the body and still answers.
  FcgiClient c(socket_path());
  const std::string big(kMaxBody + 1000, 'y');
  c.begin({{"REQUEST_METHOD", "POST"},
           {"REQUEST_URI", "/logs"},
           {"CONTENT_LENGTH", std::to_string(big.size())},
           {"CONTENT_TYPE", "application/json"}});
  c.body(big);
  c.end_body();
  const auto res = c.read_all();
  BOOST_TEST(res.complete);
  BOOST_TEST(res.status() == 413);
  BOOST_TEST(res.body().find("\"payload_too_large\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(metrics_and_status) {
  (void)pool().http("GET", "/healthz", "", Auth::none);
  auto m = pool().http("GET", "/metrics", "", Auth::none);
  BOOST_TEST(m.status == 200);
  BOOST_TEST(m.header("content-type").find("version=0.0.4") != std::string::npos);
  BOOST_TEST(m.body.find("\nezapi_up 1\n") != std::string::npos);
  BOOST_TEST(
      m.body.find("ezapi_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}") !=
      std::string::npos);
  BOOST_TEST(m.body.find("ezapi_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                         "healthz\",le=\"+Inf\"}") != std::string::npos);
  BOOST_TEST(m.body.find("ezapi_worker_restarts_total{reason=\"crash\"}") != std::string::npos);
  BOOST_TEST(m.body.find("ezapi_workers{state=\"idle\"}") != std::string::npos);

  BOOST_TEST(pool().http("GET", "/admin/status", "", Auth::none).status == 401);
  const Json::Value st = status();
  BOOST_TEST(st["master_pid"].asInt() == pool().pid_of("master"));
  BOOST_TEST(st["workers_configured"].asInt() == static_cast<int>(kWorkers));
  BOOST_TEST(st["workers"].size() >= kWorkers);
  bool self_seen = false;
  for (const auto& w : st["workers"])
    if (w["state"].asString() == "busy" && w["route"].asString() == "/admin/status") {
      self_seen = true;
      BOOST_TEST(w["request_age_ms"].isInt64());
    }
  BOOST_TEST(self_seen);
}

BOOST_AUTO_TEST_CASE(sigkilled_worker_is_replaced_within_a_second) {
  Stack& s = pool();
  const uint64_t crashes = restarts("crash");
  const auto before = full_pool();
  BOOST_REQUIRE_EQUAL(before.size(), kWorkers);
  const pid_t victim = before.front();
  BOOST_REQUIRE(::kill(victim, SIGKILL) == 0);
  const bool replaced = s.wait_until(
      [&] {
        const auto now = s.worker_pids();
        return now.size() == kWorkers && std::find(now.begin(), now.end(), victim) == now.end();
      },
      1000);
  BOOST_TEST(replaced);
  BOOST_TEST(restarts("crash") == crashes + 1);
  BOOST_TEST(s.http("GET", "/healthz", "", Auth::none).status == 200);
}

BOOST_AUTO_TEST_CASE(worker_recycled_after_max_requests) {
  Stack& s = pool();
  const uint64_t recycled = restarts("recycle");
  const auto before = full_pool();
  // Two workers share the load; 3x max_requests is more than both can serve.
  for (int i = 0; i < 3 * kMaxRequests; ++i)
    BOOST_REQUIRE_EQUAL(s.http("GET", "/healthz", "", Auth::none).status, 200);
  BOOST_TEST(s.wait_until([&] { return restarts("recycle") > recycled; }, 5000));
  const auto after = s.worker_pids();
  BOOST_TEST(after.size() == kWorkers);
  BOOST_TEST(std::any_of(before.begin(), before.end(), [&](pid_t p) {
    return std::find(after.begin(), after.end(), p) == after.end();
  }));
  const Json::Value st = status();  // named: a range-for over status()["workers"] would dangle
  for (const auto& w : st["workers"]) BOOST_TEST(w["requests"].asInt() <= kMaxRequests);
}

BOOST_AUTO_TEST_CASE(request_over_the_timeout_is_killed) {
  const uint64_t timeouts = restarts("timeout");
  FcgiClient c(socket_path());
  // Declares a body and never sends it: the worker stays in the request.
  c.begin({{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/healthz"}, {"CONTENT_LENGTH", "10"}});
  const auto res = c.read_all();  // returns when the master's SIGKILL closes the connection
  BOOST_TEST(!res.complete);
  BOOST_TEST(pool().wait_until([&] { return restarts("timeout") == timeouts + 1; }, 5000));
  BOOST_TEST(pool().wait_until([&] { return pool().worker_pids().size() == kWorkers; }, 5000));
}

BOOST_AUTO_TEST_CASE(socket_is_0660_with_nginx_group) {
  struct stat st {};
  BOOST_REQUIRE(::stat(socket_path().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0660u);
  const auto nginx_workers = children_of(pool().pid_of("nginx"));
  BOOST_REQUIRE(!nginx_workers.empty());
  for (pid_t w : nginx_workers) BOOST_TEST(gid_of(w) == st.st_gid);
}

// Before: libfcgi reads the params inside accept, before the worker can mark itself
// busy, so a client that sent only BEGIN_REQUEST held the worker forever (two of them
// stopped this two-worker pool).
BOOST_AUTO_TEST_CASE(half_sent_requests_do_not_hold_workers) {
  Stack& s = pool();
  full_pool();
  const uint64_t timeouts = restarts("timeout");
  FcgiClient a(socket_path());
  FcgiClient b(socket_path());
  a.begin_record_only();
  b.begin_record_only();
  // Both workers are taken now; the pool must come back by itself within the timeout
  // (plus the master's floor for idle workers), and this request is then served.
  const auto r = s.http("GET", "/healthz", "", Auth::none);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(!a.read_all().complete);  // the connection closes when its worker is killed
  BOOST_TEST(!b.read_all().complete);
  BOOST_TEST(s.wait_until([&] { return restarts("timeout") >= timeouts + 2; }, 10000));
  BOOST_TEST(s.wait_until([&] { return s.worker_pids().size() == kWorkers; }, 5000));
}

// Before: a stopped idle worker stayed "idle" in the scoreboard and was never replaced.
BOOST_AUTO_TEST_CASE(stopped_idle_worker_is_replaced) {
  Stack& s = pool();
  BOOST_REQUIRE_EQUAL(full_pool().size(), kWorkers);
  // An admin worker: its pool's request timeout is this stack's short one (the ingest
  // pool's is its own, 10 s by default).
  const auto admin = admin_pids();
  BOOST_REQUIRE_EQUAL(admin.size(), 2u);
  const uint64_t timeouts = restarts("timeout");
  const pid_t victim = admin.back();
  BOOST_REQUIRE(::kill(victim, SIGSTOP) == 0);
  const bool replaced = s.wait_until(
      [&] {
        const auto now = s.worker_pids();
        return now.size() == kWorkers && std::find(now.begin(), now.end(), victim) == now.end();
      },
      15000);
  if (alive(victim)) ::kill(victim, SIGKILL);
  BOOST_TEST(replaced);
  BOOST_TEST(restarts("timeout") == timeouts + 1);
  BOOST_TEST(s.http("GET", "/healthz", "", Auth::none).status == 200);
}

BOOST_AUTO_TEST_CASE(metrics_name_the_build_and_count_refused_reloads_and_resyncs) {
  Stack& s = pool();
  const auto m = s.http("GET", "/metrics", "", Auth::none);
  BOOST_TEST(m.body.find("\nezapi_build_info{version=\"0.1.0\",commit=\"") != std::string::npos);

  const double resyncs = metric("ezapi_resyncs_total");
  BOOST_REQUIRE(resyncs >= 0);
  BOOST_REQUIRE_EQUAL(s.http("POST", "/sync/snapshot", "", Auth::internal).status, 200);
  BOOST_TEST(metric("ezapi_resyncs_total") == resyncs + 1);
  BOOST_TEST(metric("ezapi_resync_duration_seconds_count") == resyncs + 1);

  // A SIGHUP with a broken file is refused (the pool keeps running) and counted.
  const double refused = metric("ezapi_config_reload_failures_total");
  const std::string path = s.dir + "/config.yaml";
  std::string saved;
  {
    std::ifstream in(path);
    saved.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(path, std::ios::app);
    out << "no_such_section: {x: 1}\n";
  }
  BOOST_REQUIRE(::kill(s.pid_of("master"), SIGHUP) == 0);
  const bool counted = s.wait_until(
      [&] { return metric("ezapi_config_reload_failures_total") == refused + 1; }, 5000);
  {
    std::ofstream out(path, std::ios::trunc);
    out << saved;
  }
  BOOST_TEST(counted);
}

BOOST_AUTO_TEST_CASE(readyz_names_redis_while_it_is_down) {
  Stack& s = pool();
  s.stop("redis");
  // A write while Redis is down: accepted, its push fails and waits in the outbox.
  const double failures = metric("ezapi_redis_push_failures_total");
  const auto w = s.http("POST", "/providers",
                        R"({"name":")" + ez::it::unique("metrics-p") +
                            R"(","type":"openai","api_key":"sk-x","models":["gpt-4o"]})");
  BOOST_TEST(w.status == 201, ez::it::describe(w));
  BOOST_TEST(metric("ezapi_redis_push_failures_total") >= failures + 1);
  BOOST_TEST(metric("ezapi_outbox_pending_rows") >= 1);
  BOOST_TEST(metric("ezapi_outbox_oldest_age_seconds") >= 0);

  auto r = s.http("GET", "/readyz", "", Auth::none);
  BOOST_TEST(r.status == 503);
  const Json::Value j = r.json();
  BOOST_TEST(j["error"].asString().find("redis") != std::string::npos);
  BOOST_TEST(!j["checks"]["redis"]["ok"].asBool());
  BOOST_TEST(j["checks"]["postgres"]["ok"].asBool());

  BOOST_REQUIRE_EQUAL(s.stack_cmd("up"), 0);
  BOOST_TEST(
      s.wait_until([&] { return s.http("GET", "/readyz", "", Auth::none).status == 200; }, 15000));
  // The replay pushes it once Redis is back.
  BOOST_TEST(s.wait_until([&] { return metric("ezapi_outbox_pending_rows") == 0; }, 15000));
}

BOOST_AUTO_TEST_CASE(sighup_rolls_workers_without_a_failed_request) {
  Stack& s = pool();
  const Json::Value before = status();
  const unsigned generation = before["generation"].asUInt();
  std::set<int> old_pids;
  for (const auto& w : before["workers"]) old_pids.insert(w["pid"].asInt());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::string> failures;  // written by the hammer only, read after join
  std::thread hammer([&] {
    while (!stop) {
      try {
        auto r = s.http("GET", "/healthz", "", Auth::none);
        if (r.status == 200) {
          ++ok;
          continue;
        }
        if (failures.size() < 5) failures.push_back(std::to_string(r.status) + " " + r.body);
      } catch (const std::exception& e) {
        if (failures.size() < 5) failures.push_back(e.what());
      }
      ++failed;
    }
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_REQUIRE(::kill(s.pid_of("master"), SIGHUP) == 0);
  const bool rolled = s.wait_until(
      [&] {
        const Json::Value st = status();
        if (st["generation"].asUInt() != generation + 1) return false;
        int current = 0;
        for (const auto& w : st["workers"]) {
          if (w["generation"].asUInt() != generation + 1) return false;
          if (old_pids.count(w["pid"].asInt())) return false;
          ++current;
        }
        return current == static_cast<int>(kWorkers);
      },
      15000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  hammer.join();

  BOOST_TEST(rolled);
  BOOST_TEST(ok.load() > 0);
  BOOST_TEST(failed.load() == 0);
  for (const auto& f : failures) BOOST_TEST_MESSAGE("failed request: " << f);
}

// Last: it takes the master down (the fixture's `down` copes with that).
BOOST_AUTO_TEST_CASE(sigterm_drains_in_flight_and_leaves_nothing) {
  Stack& s = pool();
  const pid_t master = s.pid_of("master");
  const auto workers = full_pool();
  BOOST_REQUIRE(master > 0);
  BOOST_REQUIRE_EQUAL(workers.size(), kWorkers);

  // Two requests in flight, one per worker: params sent, body not yet.
  FcgiClient c(socket_path());
  c.begin({{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", "/healthz"}, {"CONTENT_LENGTH", "0"}});
  FcgiClient c2(socket_path());
  c2.begin({{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", "/healthz"}, {"CONTENT_LENGTH", "0"}});
  BOOST_REQUIRE(s.wait_until([&] { return busy_workers() == 2; }));
  // Two complete requests queued by the kernel behind them (accepted by nobody yet).
  // Before: the workers exited after their current request and these got no answer.
  std::vector<std::unique_ptr<FcgiClient>> queued;
  for (int i = 0; i < 2; ++i) {
    queued.push_back(std::make_unique<FcgiClient>(socket_path()));
    queued.back()->begin(
        {{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", "/healthz"}, {"CONTENT_LENGTH", "0"}});
    queued.back()->end_body();
  }

  BOOST_REQUIRE(::kill(master, SIGTERM) == 0);
  // The socket goes at once (new connects fail fast); the master waits for us.
  BOOST_TEST(s.wait_until([&] { return !std::filesystem::exists(socket_path()); }, 5000));
  BOOST_TEST(alive(master));

  c.end_body();
  c2.end_body();
  for (FcgiClient* client : {&c, &c2, queued[0].get(), queued[1].get()}) {
    const auto res = client->read_all();
    BOOST_TEST(res.complete);
    BOOST_TEST(res.status() == 200);
  }

  BOOST_TEST(s.wait_until(
      [&] {
        if (alive(master)) return false;
        return std::none_of(workers.begin(), workers.end(), alive);
      },
      10000));
  BOOST_TEST(!std::filesystem::exists(s.dir + "/run/master.pid"));
}
