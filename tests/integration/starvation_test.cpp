// Availability under abuse: what one client (a tenant, an admin script, a broken or
// hostile FastCGI peer) may not do to everybody else.
//  * An export whose client went away stops at the first failed write; exports past
//    usage.export_max_concurrent are refused with 503 + Retry-After.
//  * Log searches use indexes, run under usage.search_timeout_ms (a clear 503 past it) and
//    at most usage.search_max_concurrent per caller (429 + Retry-After past it).
//  * Health probes are answered by a pool that exports and searches cannot occupy.
//  * A FastCGI connection whose request is not read within fastcgi.read_timeout_ms is
//    dropped by the worker itself, long before the request timeout.
#define BOOST_TEST_MODULE starvation
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "support/fcgi_client.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::FcgiClient;
using ez::it::Stack;

namespace {

// Enough rows that an export nobody stops holds a worker for seconds under ASan, few
// enough to seed in a few seconds.
constexpr int kSeededRows = 120000;
constexpr int kReadTimeoutMs = 1000;
constexpr int kSearchTimeoutMs = 2000;

Stack& stack() {
  static bool configured = [] {
    Stack::set_env("EZ_FASTCGI_READ_TIMEOUT_MS", std::to_string(kReadTimeoutMs));
    Stack::set_env("EZ_USAGE_SEARCH_TIMEOUT_MS", std::to_string(kSearchTimeoutMs));
    Stack::set_env("EZ_USAGE_SEARCH_MAX_CONCURRENT", "1");
    Stack::set_env("EZ_USAGE_EXPORT_MAX_CONCURRENT", "1");
    // The binaries under test: this build's, or (EZ_IT_BUILD_DIR) another build's, such as
    // one of the branch before the guards, on which these cases fail.
    if (const char* other = std::getenv("EZ_IT_BUILD_DIR")) Stack::set_env("EZ_BUILD_DIR", other);
    return true;
  }();
  (void)configured;
  return ez::it::stack();
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The tenant whose day of logs the searches and exports read: created once, rows seeded
// straight into PostgreSQL (the ingest path is not what this binary tests). Its 4xx rows
// are few, as in the report: a search for them used to walk the whole day.
struct Tenant {
  int64_t master_id = 0;
  std::string key;
};

const Tenant& tenant() {
  static const Tenant t = [] {
    Stack& s = stack();
    Json::Value body(Json::objectValue);
    body["name"] = ez::it::unique("starved");
    const auto r = s.http("POST", "/admin/masters", ez::it::js(body));
    BOOST_REQUIRE_MESSAGE(r.status == 201, ez::it::describe(r));
    Tenant out;
    out.master_id = r.json()["id"].asInt64();
    out.key = r.json()["master_key"].asString();
    (void)s.sql(
        "INSERT INTO logs (ts, received_at, request_id, master_id, key_id, model, provider_id, "
        "status_code, latency_ms, prompt_tokens, completion_tokens, total_tokens) "
        "SELECT now() - g * interval '500 ms', now(), 'seed-' || g, " +
        std::to_string(out.master_id) +
        ", 1, 'gpt-4o', 1, CASE WHEN g % 10000 = 0 THEN 404 WHEN g % 50 = 0 THEN 500 ELSE 200 "
        "END, 120, 10, 20, 30 FROM generate_series(1, " +
        std::to_string(kSeededRows) + ") g");
    (void)s.sql("ANALYZE logs");
    return out;
  }();
  return t;
}

std::string export_path() {
  return "/admin/logs/export?format=csv&master_id=" + std::to_string(tenant().master_id) +
         "&from=" + std::to_string(std::time(nullptr) - 86000);
}

// What `curl --max-time 0.3` does: sends the request, reads for a moment, hangs up.
void aborted_request(int port, const std::string& path, const std::string& token) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                            "\r\nConnection: close\r\n\r\n";
    (void)::write(fd, req.data(), req.size());
    timeval tv{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[16384];
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < until)
      if (::read(fd, buf, sizeof buf) == 0) break;
  }
  ::close(fd);
}

// Admin workers busy on `route`, from the pool's status document.
int busy_on(const std::string& route) {
  ez::it::HttpResult r;
  try {
    r = stack().http("GET", "/admin/status");
  } catch (const std::exception&) {  // no answer within 30 s: the pool is taken
    return -1;
  }
  if (r.status != 200) return -1;
  const Json::Value st = r.json();
  int n = 0;
  for (const auto& w : st["workers"])
    if (w["state"].asString() == "busy" && w["route"].asString() == route) ++n;
  return n;
}

uint64_t timeout_restarts() {
  const auto r = stack().http("GET", "/admin/status");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  return r.json()["restarts"]["timeout"].asUInt64();
}

}  // namespace

// Before: the export's writer ignored failed writes, so ten aborted exports of a day of
// rows kept both admin workers busy for seconds each (GET /providers 17.9 s, /healthz
// 8.7 s in the report), and ten parallel tenant searches walked the whole day each.
BOOST_AUTO_TEST_CASE(aborted_exports_and_tenant_searches_leave_the_api_responsive) {
  Stack& s = stack();
  const Tenant& t = tenant();
  const std::string search =
      "/master/logs?status=4xx&from=" + std::to_string(std::time(nullptr) - 86000);
  std::atomic<bool> stop{false};
  std::atomic<int> search_other{0}, search_ok{0}, search_limited{0};
  std::vector<std::thread> load;
  // Whatever fails below, the load stops and its threads are joined.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& th : threads)
        if (th.joinable()) th.join();
    }
  } joiner{stop, load};
  for (int i = 0; i < 10; ++i)
    load.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
      aborted_request(s.api_port, export_path(), s.admin_token);
    });
  for (int i = 0; i < 10; ++i)
    load.emplace_back([&] {
      while (!stop) {
        try {
          const auto r = s.http_token("GET", search, t.key);
          if (r.status == 200)
            ++search_ok;
          else if (r.status == 429 && !r.header("retry-after").empty()) {
            ++search_limited;
            // A client that was told to wait does not come back at once (Retry-After is 1 s;
            // sooner keeps the ten searches in flight all along).
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          } else {
            ++search_other;
          }
        } catch (const std::exception&) {  // no answer within the client's 30 s
          ++search_other;
        }
      }
    });

  std::vector<double> health_ms, providers_ms;
  const auto t0 = std::chrono::steady_clock::now();
  // A request without an answer counts as the client's 30 s.
  const auto timed = [&](const std::string& path, Auth auth, std::vector<double>& into) {
    const auto a = std::chrono::steady_clock::now();
    try {
      BOOST_TEST(s.http("GET", path, "", auth).status == 200);
      into.push_back(ms_since(a));
    } catch (const std::exception& e) {
      BOOST_ERROR("GET " << path << ": " << e.what());
      into.push_back(30000.0);
    }
  };
  while (ms_since(t0) < 4000) {
    timed("/healthz", Auth::none, health_ms);
    timed("/providers", Auth::admin, providers_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The aborted exports are over (their writes failed) well before they could have
  // streamed their rows.
  BOOST_TEST(s.wait_until([] { return busy_on("/admin/logs/export") == 0; }, 3000));
  stop = true;
  for (auto& th : load) th.join();

  const double worst_health = *std::max_element(health_ms.begin(), health_ms.end());
  const double worst_providers = *std::max_element(providers_ms.begin(), providers_ms.end());
  std::string samples;
  for (size_t i = 0; i < health_ms.size(); ++i)
    samples += " " + std::to_string(static_cast<int>(health_ms[i])) + "/" +
               std::to_string(static_cast<int>(providers_ms[i]));
  BOOST_TEST_MESSAGE("healthz worst " << worst_health << " ms, providers worst " << worst_providers
                                      << " ms over " << health_ms.size() << " rounds; searches ok "
                                      << search_ok << ", 429 " << search_limited
                                      << "; healthz/providers ms:" << samples);
  // The bounds hold for the 90th percentile of the rounds: on the shared 2-core test machine
  // (load 20 and more while other builds run) one sample in a few is delayed by scheduling
  // alone, whatever the server does. Before the guards the same rounds took seconds each.
  const auto p90 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() * 9 / 10];
  };
  BOOST_TEST(p90(health_ms) < 100.0);
  BOOST_TEST(p90(providers_ms) < 500.0);
  BOOST_TEST(search_other.load() == 0);
  BOOST_TEST(search_ok.load() > 0);
}

BOOST_AUTO_TEST_CASE(a_tenants_searches_past_its_bound_are_429_with_retry_after) {
  Stack& s = stack();
  const Tenant& t = tenant();
  const std::string search =
      "/master/logs?status=4xx&from=" + std::to_string(std::time(nullptr) - 86000);
  // Holds the tenant's one place: the search waits on a lock the test holds.
  pqxx::connection conn(s.pg_dsn);
  pqxx::work lock(conn);
  lock.exec("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE");
  ez::it::HttpResult first;
  std::thread held([&] {
    try {
      first = s.http_token("GET", search, t.key);
    } catch (const std::exception&) {  // stays status 0: the checks below fail
    }
  });
  BOOST_TEST(s.wait_until([] { return busy_on("/master/logs") == 1; }, 5000));
  const auto second = s.http_token("GET", search, t.key);
  BOOST_TEST(second.status == 429, ez::it::describe(second));
  BOOST_TEST(second.header("retry-after") == "1");
  if (second.status == 429) BOOST_TEST(second.json()["code"].asString() == "too_many_requests");
  held.join();
  lock.abort();
  // The held search ran into usage.search_timeout_ms: a clear JSON 503, not a 500.
  BOOST_TEST(first.status == 503, ez::it::describe(first));
  if (first.status == 503) BOOST_TEST(first.json()["code"].asString() == "query_timeout");
  BOOST_TEST(!first.header("retry-after").empty());
  // And the place is free again.
  BOOST_TEST(s.http_token("GET", search, t.key).status == 200);
}

BOOST_AUTO_TEST_CASE(exports_past_the_bound_are_503_with_retry_after) {
  Stack& s = stack();
  (void)tenant();
  // The one export place is held by an export that waits on a lock the test holds.
  pqxx::connection conn(s.pg_dsn);
  pqxx::work lock(conn);
  lock.exec("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE");
  ez::it::HttpResult first;
  std::thread held([&] {
    try {
      first = s.http("GET", export_path());
    } catch (const std::exception&) {  // stays status 0: the checks below fail
    }
  });
  BOOST_TEST(s.wait_until([] { return busy_on("/admin/logs/export") == 1; }, 5000));
  const auto second = s.http("GET", "/admin/usage/export?format=csv");
  BOOST_TEST(second.status == 503, ez::it::describe(second));
  BOOST_TEST(second.header("retry-after") == "5");
  if (second.status == 503) BOOST_TEST(second.json()["code"].asString() == "overloaded");
  lock.abort();
  held.join();
  BOOST_TEST(first.status == 200, ez::it::describe(first));
  BOOST_TEST(s.http("GET", "/admin/usage/export?format=csv").status == 200);
}

// Before: libfcgi read the params inside accept and the body in the handler without a
// deadline, so each half-sent request held an admin worker until the master killed it at
// workers.request_timeout_ms (30 s here): two of them stopped the pool for half a minute.
BOOST_AUTO_TEST_CASE(half_sent_fastcgi_requests_are_dropped_at_the_read_deadline) {
  Stack& s = stack();
  const std::string sock = s.dir + "/run/ezapi.sock";
  BOOST_REQUIRE(s.wait_until([&] { return s.worker_pids().size() == 4; }));
  const auto pids = s.worker_pids();
  const uint64_t timeouts = timeout_restarts();
  FcgiClient params_missing(sock);
  FcgiClient body_missing(sock);
  params_missing.begin_record_only();
  // Declares a body and sends half of it.
  body_missing.begin(
      {{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/providers"}, {"CONTENT_LENGTH", "10"}});
  body_missing.body("{\"na");
  const auto t0 = std::chrono::steady_clock::now();
  // Both admin workers are taken now; the deadline gives them back.
  const auto r = s.http("GET", "/providers");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(ms_since(t0) < 10000.0);  // the request timeout is 30 s
  // The worker dropped them itself: the connections are closed and nobody was killed.
  const auto a = params_missing.read_all();
  BOOST_TEST(!a.complete);
  const auto b = body_missing.read_all();
  BOOST_TEST((!b.complete || b.status() == 400));
  BOOST_TEST(timeout_restarts() == timeouts);
  auto after = s.worker_pids();
  auto before = pids;
  std::sort(after.begin(), after.end());
  std::sort(before.begin(), before.end());
  BOOST_TEST(after == before);
}
