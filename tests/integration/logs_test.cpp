// POST /logs end to end: nginx -> worker -> shared-memory queue -> flusher -> PostgreSQL.
// Every entry answered 202 lands exactly once; every entry answered otherwise never does,
// through flusher crashes, a PostgreSQL outage and a full queue.
#define BOOST_TEST_MODULE logs
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "logq/entry.h"
#include "logq/ring.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::HttpResult;
using ez::it::Stack;
using ez::it::stack;
using namespace std::chrono_literals;

namespace {

constexpr int kQueueEntries = 400;

pid_t flusher_pid();
void signal_flusher(int sig);

// Small queue (so "full" is reachable), batches big enough to keep up with the load.
struct LogsEnv {
  LogsEnv() {
    Stack::set_env("EZ_LOG_QUEUE", std::to_string(kQueueEntries));
    Stack::set_env("EZ_LOG_BATCH_SIZE", "200");
    Stack::set_env("EZ_LOG_FLUSH_MS", "50");
  }
  ~LogsEnv() {
    // Stop the flusher we restarted by hand ourselves: scripts/stack tracks a wrapper pid
    // for it, so its `down` may miss the process itself.
    if (!std::getenv("EZ_STACK_DIR")) return;  // no stack was started
    try {
      if (const pid_t pid = flusher_pid(); pid > 0) {
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(100ms);
      }
    } catch (const std::exception&) {
    }
  }
};
BOOST_TEST_GLOBAL_FIXTURE(LogsEnv);

HttpResult post_logs(const std::string& body, const std::string& type = "application/json") {
  return stack().http("POST", "/logs", body, Auth::internal, {{"Content-Type", type}});
}

long long scalar(const std::string& query) {
  auto rows = stack().sql(query);
  return rows.empty() || rows[0].empty() || rows[0][0].empty() ? 0 : std::stoll(rows[0][0]);
}

long long landed(const std::string& prefix) {
  return scalar("SELECT count(*) FROM logs WHERE request_id LIKE '" + prefix + "%'");
}

long long distinct_landed(const std::string& prefix) {
  return scalar("SELECT count(DISTINCT request_id) FROM logs WHERE request_id LIKE '" + prefix +
                "%'");
}

std::string entry(const std::string& id, const std::string& more = "") {
  return R"({"request_id":")" + id + R"(","model":"m","status_code":200,"prompt_tokens":3)" +
         (more.empty() ? "" : "," + more) + "}";
}

std::string batch(const std::string& prefix, int n) {
  std::string body = "[";
  for (int j = 0; j < n; ++j) body += (j ? "," : "") + entry(prefix + "-" + std::to_string(j));
  return body + "]";
}

// Waits until the flusher has written everything queued before this call (a marker entry
// posted now lands after all of them).
void wait_for_flush(const std::string& tag) {
  const std::string id = "marker-" + tag;
  BOOST_REQUIRE(post_logs(entry(id)).status == 202);
  BOOST_REQUIRE(stack().wait_until([&] { return landed(id) == 1; }, 60000));
}

// Clients that post batches until told to stop, retrying a batch on 503 as the balancer
// would, and remembering exactly which entries were answered 202.
class Load {
 public:
  Load(std::string prefix, int threads, int per_request) : prefix_(std::move(prefix)) {
    for (int t = 0; t < threads; ++t)
      threads_.emplace_back([this, t, per_request] { run(t, per_request); });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  long long accepted() const { return accepted_; }
  long long refused() const { return refused_; }
  long long unexpected() const { return unexpected_; }

 private:
  void run(int t, int per_request) {
    for (int i = 0; !stop_; ++i) {
      const std::string body =
          batch(prefix_ + "-" + std::to_string(t) + "-" + std::to_string(i), per_request);
      for (;;) {  // same batch again after a 503: the entries must then land once
        HttpResult r;
        try {
          r = post_logs(body);
        } catch (const std::exception&) {
          ++unexpected_;  // outcome unknown: would break the accounting
          break;
        }
        if (r.status == 202) {
          accepted_ += per_request;
          break;
        }
        if (r.status == 503 && r.header("retry-after") == "1" &&
            r.body.find("queue_full") != std::string::npos) {
          refused_ += per_request;
          if (stop_) {
            ++gave_up_;
            break;
          }
          std::this_thread::sleep_for(20ms);
          continue;
        }
        ++unexpected_;
        break;
      }
    }
  }

  std::string prefix_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> accepted_{0}, refused_{0}, unexpected_{0}, gave_up_{0};
};

std::string shm_prefix() {
  std::ifstream in(stack().dir + "/config.yaml");
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("shm_prefix:");
    if (at == std::string::npos) continue;
    std::string v = line.substr(at + 11);
    v.erase(0, v.find_first_not_of(" \"'"));
    v.erase(v.find_last_not_of(" \"'") + 1);
    return v;
  }
  return "/ezapi";
}

// The flusher's real pid, as it published it in the queue header (0 if none is running).
pid_t flusher_pid() {
  const ez::logq::Ring ring = ez::logq::Ring::attach(shm_prefix() + "-logq");
  const auto pid = static_cast<pid_t>(ring.stats().flusher.pid);
  return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
}

// Sends `sig` to the running flusher and waits until it is gone (SIGTERM: drained).
void signal_flusher(int sig) {
  auto& s = stack();
  pid_t pid = 0;
  BOOST_REQUIRE(s.wait_until([&] { return (pid = flusher_pid()) > 0; }, 30000));
  ::kill(pid, sig);
  BOOST_REQUIRE(s.wait_until([&] { return ::kill(pid, 0) != 0; }, 60000));
  // Whatever scripts/stack recorded as the flusher must be gone too before `up` can see it.
  BOOST_REQUIRE(s.wait_until([&] { return s.pid_of("flusher") == 0; }, 10000));
}

void restart_missing_services() {
  BOOST_REQUIRE(stack().stack_cmd("up") == 0);
  BOOST_REQUIRE(stack().wait_until([] { return flusher_pid() > 0; }, 30000));
}

}  // namespace

BOOST_AUTO_TEST_CASE(object_array_and_ndjson_bodies_land) {
  auto& s = stack();
  // Yesterday (UTC): inside the retention window, which refuses older entries.
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string day = ez::format_timestamp_us(now_us - 86400LL * 1000000).substr(0, 10);
  auto one =
      post_logs(entry("shape-obj", R"("timestamp":")" + day +
                                       R"(T07:08:09.5+02:00","cost":0.25,)"
                                       R"("stream":true,"client_ip":"10.1.2.3","tier":"gold")"));
  BOOST_TEST(one.status == 202);
  BOOST_TEST(one.json()["accepted"].asInt() == 1);
  auto arr = post_logs(batch("shape-arr", 3));
  BOOST_TEST(arr.status == 202);
  BOOST_TEST(arr.json()["accepted"].asInt() == 3);
  auto nd = post_logs(
      entry("shape-nd-0") + "\n\n" + entry("shape-nd-1") + "\r\n" + entry("shape-nd-2") + "\n",
      "application/x-ndjson");
  BOOST_TEST(nd.status == 202);
  BOOST_TEST(nd.json()["accepted"].asInt() == 3);
  BOOST_REQUIRE(s.wait_until([] { return landed("shape-") >= 7; }, 30000));

  auto row =
      s.sql("SELECT ts = '" + day +
            "T05:08:09.5Z'::timestamptz, model, status_code, cost, stream, "
            "client_ip, extra->>'tier', prompt_tokens FROM logs WHERE request_id = 'shape-obj'");
  BOOST_REQUIRE(row.size() == 1u);
  BOOST_TEST(row[0][0] == "t");
  BOOST_TEST(row[0][1] == "m");
  BOOST_TEST(row[0][2] == "200");
  BOOST_TEST(row[0][3] == "0.25");
  BOOST_TEST(row[0][4] == "t");
  BOOST_TEST(row[0][5] == "10.1.2.3");
  BOOST_TEST(row[0][6] == "gold");
  BOOST_TEST(row[0][7] == "3");
  // Characters COPY must escape come back exactly as they were sent.
  auto hostile = post_logs(
      R"({"request_id":"shape-hostile","model":"\\N","error_message":"tab\there\nnew\\line\r \\N é😀 '; DROP TABLE logs; --"})");
  BOOST_TEST(hostile.status == 202);
  BOOST_REQUIRE(s.wait_until([] { return landed("shape-hostile") == 1; }, 30000));
  auto h = s.sql(
      "SELECT model, error_message, model IS NULL FROM logs WHERE request_id = 'shape-hostile'");
  BOOST_REQUIRE(h.size() == 1u);
  BOOST_TEST(h[0][0] == "\\N");
  BOOST_TEST(h[0][1] == "tab\there\nnew\\line\r \\N é😀 '; DROP TABLE logs; --");
  BOOST_TEST(h[0][2] == "f");
  // A day partition took it (not the default one), and the flusher recorded its progress.
  BOOST_TEST(
      s.sql("SELECT tableoid::regclass::text FROM logs WHERE request_id = 'shape-arr-0'")[0][0] !=
      "logs_default");
  BOOST_TEST(scalar("SELECT max(committed_seq) FROM log_flusher_state") >= 7);
}

BOOST_AUTO_TEST_CASE(a_bad_entry_rejects_the_whole_request) {
  auto& s = stack();
  const std::string body = "[" + entry("bad-0") + "," + entry("bad-1") + "," + entry("bad-2") +
                           "," + R"({"request_id":"bad-3","status_code":700})" + "," +
                           entry("bad-4") + "]";
  auto r = post_logs(body);
  BOOST_TEST(r.status == 400);
  auto j = r.json();
  BOOST_TEST(j["code"].asString() == "invalid_field");
  BOOST_TEST(j["field"].asString() == "[3].status_code");
  BOOST_TEST(j["error"].asString().find("entry 3") != std::string::npos);

  auto nd =
      post_logs(entry("bad-nd-0") + "\n{\"request_id\":\"bad-nd-1\",", "application/x-ndjson");
  BOOST_TEST(nd.status == 400);
  BOOST_TEST(nd.json()["code"].asString() == "bad_json");

  // Only the internal token may post.
  BOOST_TEST(s.http("POST", "/logs", entry("bad-auth"), Auth::none).status == 401);
  BOOST_TEST(s.http("POST", "/logs", entry("bad-auth"), Auth::admin).status == 403);
  BOOST_TEST(post_logs(entry("bad-xml"), "text/xml").status == 415);

  wait_for_flush("bad");
  BOOST_TEST(landed("bad-") == 0);
}

BOOST_AUTO_TEST_CASE(flusher_sigkilled_repeatedly_under_load_lands_everything_once) {
  auto& s = stack();
  const pid_t first = flusher_pid();
  BOOST_REQUIRE(first > 0);
  Load load("kill", 4, 10);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(700ms);
    signal_flusher(SIGKILL);
    restart_missing_services();
  }
  std::this_thread::sleep_for(500ms);
  load.stop();
  BOOST_TEST(flusher_pid() != first);
  BOOST_TEST(load.unexpected() == 0);
  BOOST_TEST(load.accepted() > 0);
  BOOST_TEST_MESSAGE("flusher kills: " << load.accepted() << " entries accepted, " << load.refused()
                                       << " refused with 503 (and retried)");
  const long long want = load.accepted();
  BOOST_REQUIRE(s.wait_until([&] { return landed("kill-") >= want; }, 60000));
  wait_for_flush("kill");
  BOOST_TEST(landed("kill-") == want);
  BOOST_TEST(distinct_landed("kill-") == want);
}

BOOST_AUTO_TEST_CASE(postgres_down_under_load_everything_accepted_lands_after) {
  auto& s = stack();
  Load load("pgdown", 3, 10);
  std::this_thread::sleep_for(500ms);
  s.stop("postgres");
  std::this_thread::sleep_for(3s);  // the queue fills; the rest is answered 503
  const long long accepted_while_down = load.accepted();
  restart_missing_services();
  std::this_thread::sleep_for(500ms);
  load.stop();
  BOOST_TEST(load.unexpected() == 0);
  BOOST_TEST(load.refused() > 0);  // the queue did fill up while PostgreSQL was away
  BOOST_TEST_MESSAGE("postgres outage: " << load.accepted() << " accepted (" << accepted_while_down
                                         << " by the end of the outage), " << load.refused()
                                         << " refused with 503");
  const long long want = load.accepted();
  BOOST_REQUIRE(s.wait_until([&] { return landed("pgdown-") >= want; }, 60000));
  wait_for_flush("pgdown");
  BOOST_TEST(landed("pgdown-") == want);
  BOOST_TEST(distinct_landed("pgdown-") == want);
  BOOST_TEST(scalar("SELECT count(*) FROM logs_rejected") == 0);
}

BOOST_AUTO_TEST_CASE(full_queue_answers_503_with_retry_after_and_exact_accounting) {
  auto& s = stack();
  wait_for_flush("full-before");
  signal_flusher(SIGTERM);  // drains, then exits; nothing reads the queue any more
  long long accepted = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = post_logs(batch("full-" + std::to_string(i), 50));
    if (r.status == 202) {
      accepted += 50;
      continue;
    }
    BOOST_TEST(r.status == 503);
    BOOST_TEST(r.header("retry-after") == "1");
    BOOST_TEST(r.json()["code"].asString() == "queue_full");
    refused += 50;
  }
  BOOST_TEST(accepted == kQueueEntries);  // the queue holds exactly its capacity
  BOOST_TEST(refused == 20 * 50 - kQueueEntries);
  // A request larger than the whole queue can never succeed: 413, not a retry loop.
  BOOST_TEST(post_logs(batch("full-huge", kQueueEntries + 1)).status == 413);

  restart_missing_services();
  BOOST_REQUIRE(s.wait_until([&] { return landed("full-") >= accepted; }, 60000));
  wait_for_flush("full-after");
  BOOST_TEST(landed("full-") == accepted);
  BOOST_TEST(distinct_landed("full-") == accepted);
}

// Back-pressure (log.enqueue_wait_ms, 1000 ms by default): a request that finds the queue
// full waits for the flusher to free space instead of being refused at once; only a queue
// that stays full for the whole wait gets the 503, and that 503 says when to retry.
BOOST_AUTO_TEST_CASE(a_full_queue_waits_for_the_flusher_before_refusing) {
  auto& s = stack();
  wait_for_flush("wait-before");
  const ez::logq::Ring ring = ez::logq::Ring::attach(shm_prefix() + "-logq");
  // Stops the flusher with an empty queue (not between a commit and its release), then
  // fills the queue to the brim.
  auto stop_flusher_and_fill = [&](const std::string& prefix) {
    pid_t pid = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
      BOOST_REQUIRE(s.wait_until([&] { return (pid = flusher_pid()) > 0; }, 30000));
      BOOST_REQUIRE(s.wait_until([&] { return ring.stats().depth_entries == 0; }, 30000));
      BOOST_REQUIRE(::kill(pid, SIGSTOP) == 0);
      std::this_thread::sleep_for(50ms);
      if (ring.stats().depth_entries == 0) break;
      ::kill(pid, SIGCONT);
    }
    BOOST_REQUIRE(ring.stats().depth_entries == 0u);
    for (int i = 0; i < kQueueEntries / 50; ++i)
      BOOST_REQUIRE(post_logs(batch(prefix + std::to_string(i), 50)).status == 202);
    return pid;
  };

  // Let go within the wait: the waiting request is queued, 202.
  pid_t pid = stop_flusher_and_fill("wait-a");
  std::atomic<bool> done{false};
  HttpResult late;
  std::thread poster([&] {
    late = post_logs(batch("wait-late", 50));
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  const bool answered_while_stopped = done.load();
  BOOST_REQUIRE(::kill(pid, SIGCONT) == 0);
  poster.join();
  BOOST_TEST(!answered_while_stopped);  // it was waiting, not refused
  BOOST_TEST(late.status == 202, describe(late));

  // Stopped for longer than the wait: 503 queue_full with Retry-After, nothing queued.
  pid = stop_flusher_and_fill("wait-b");
  auto refused = post_logs(batch("wait-refused", 50));
  BOOST_REQUIRE(::kill(pid, SIGCONT) == 0);
  BOOST_TEST(refused.status == 503, describe(refused));
  BOOST_TEST(refused.header("retry-after") == "1");
  BOOST_TEST(refused.json()["code"].asString() == "queue_full");

  const long long want = 2 * kQueueEntries + 50;
  BOOST_REQUIRE(s.wait_until([&] { return landed("wait-") >= want; }, 60000));
  wait_for_flush("wait-after");
  BOOST_TEST(landed("wait-") == want);
  BOOST_TEST(landed("wait-refused") == 0);
  BOOST_TEST(landed("wait-late") == 50);
}

BOOST_AUTO_TEST_CASE(sigterm_drains_the_queue_before_the_flusher_exits) {
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(post_logs(batch("drain-" + std::to_string(i), 40)).status == 202);
  signal_flusher(SIGTERM);  // returns once the flusher process is gone
  BOOST_TEST(landed("drain-") == 200);
  restart_missing_services();
}

BOOST_AUTO_TEST_CASE(a_row_postgres_refuses_is_set_aside_not_blocking) {
  // Bypass the workers' validation: put a row PostgreSQL cannot take straight into the
  // queue, between two good ones.
  auto& s = stack();
  ez::logq::Ring ring = ez::logq::Ring::attach(shm_prefix() + "-logq");
  auto encode_raw = [](const std::vector<std::pair<size_t, std::string>>& set) {
    std::string out;
    for (size_t col = 0; col < ez::logq::kLogColumnCount; ++col) {
      std::string v;
      bool null = true;
      for (const auto& [c, value] : set)
        if (c == col) {
          v = value;
          null = false;
        }
      const uint32_t len = null ? 0xFFFFFFFF : static_cast<uint32_t>(v.size());
      out.append(reinterpret_cast<const char*>(&len), 4);
      out += v;
    }
    return out;
  };
  const std::string now = "2030-01-01 00:00:00+00";  // lands in logs_default: fine
  const std::string good1 = encode_raw({{0, now}, {1, now}, {2, "poison-good-1"}});
  const std::string bad = encode_raw({{0, now}, {1, now}, {2, "poison-bad"}, {11, "not-a-number"}});
  const std::string good2 = encode_raw({{0, now}, {1, now}, {2, "poison-good-2"}});
  std::vector<std::string_view> rec = {good1, bad, good2};
  BOOST_REQUIRE((ring.enqueue(rec).status == ez::logq::Ring::Status::ok));
  BOOST_REQUIRE(s.wait_until([] { return landed("poison-good") == 2; }, 30000));
  BOOST_TEST(landed("poison-bad") == 0);
  auto rej = s.sql("SELECT error, length(raw) FROM logs_rejected");
  BOOST_REQUIRE(rej.size() == 1u);
  BOOST_TEST(rej[0][0].find("22P02") != std::string::npos);
  BOOST_TEST(std::stoul(rej[0][1]) == bad.size());
  // And the pipeline goes on.
  wait_for_flush("poison");
}
