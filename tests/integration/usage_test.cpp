// Usage and log search end to end: cost at ingest, rollups exactly in step with
// the raw logs through flusher SIGKILLs and a PostgreSQL restart, /admin/usage equal to a
// direct SQL computation for every group_by, the rebuild equal to the incremental rollups,
// keyset-paginated log search, streamed exports with a row limit, a master's own view.
#define BOOST_TEST_MODULE usage
#include <json/reader.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "logq/ring.h"
#include "rollup/rollup_sql.h"
#include "support/stack.h"
#include "usage/usage_repo.h"

using ez::it::Auth;
using ez::it::HttpResult;
using ez::it::js;
using ez::it::Stack;
using ez::it::stack;
using ez::it::unique;
using namespace std::chrono_literals;

namespace {

constexpr int kExportMaxRows = 150;

struct UsageEnv {
  UsageEnv() {
    Stack::set_env("EZ_LOG_QUEUE", "2000");
    Stack::set_env("EZ_LOG_BATCH_SIZE", "100");
    Stack::set_env("EZ_LOG_FLUSH_MS", "50");
    Stack::set_env("EZ_USAGE_EXPORT_MAX_ROWS", std::to_string(kExportMaxRows));
  }
};
BOOST_TEST_GLOBAL_FIXTURE(UsageEnv);

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResult post_logs(const std::string& body) {
  return stack().http("POST", "/logs", body, Auth::internal,
                      {{"Content-Type", "application/json"}});
}

// A worker whose PostgreSQL connection died with the restart answers 503 once, then
// reconnects: the numbers are what these tests check, so such a 503 is retried.
HttpResult get_after_restart(const std::string& path) {
  HttpResult r;
  for (int i = 0; i < 20; ++i) {
    r = stack().http("GET", path);
    if (r.status != 503) break;
    std::this_thread::sleep_for(200ms);
  }
  return r;
}

std::string scalar(const std::string& query) {
  auto rows = stack().sql(query);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

long long count(const std::string& query) {
  const std::string v = scalar(query);
  return v.empty() ? 0 : std::stoll(v);
}

// A marker posted now lands after everything queued before it.
void wait_for_flush(const std::string& tag) {
  const std::string id = unique("marker-" + tag);
  BOOST_REQUIRE(post_logs(R"({"request_id":")" + id + R"("})").status == 202);
  BOOST_REQUIRE(stack().wait_until(
      [&] { return count("SELECT count(*) FROM logs WHERE request_id = '" + id + "'") == 1; },
      60000));
}

Json::Value create_master(const Json::Value& extra = Json::Value(Json::objectValue)) {
  Json::Value body = extra;
  body["name"] = unique("um");
  auto r = stack().http("POST", "/admin/masters", js(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201, ez::it::describe(r));
  return r.json();
}

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

pid_t flusher_pid() {
  const ez::logq::Ring ring = ez::logq::Ring::attach(shm_prefix() + "-logq");
  const auto pid = static_cast<pid_t>(ring.stats().flusher.pid);
  return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
}

void restart_missing_services() {
  BOOST_REQUIRE(stack().stack_cmd("up") == 0);
  BOOST_REQUIRE(stack().wait_until([] { return flusher_pid() > 0; }, 30000));
}

void sigkill_flusher() {
  auto& s = stack();
  pid_t pid = 0;
  BOOST_REQUIRE(s.wait_until([&] { return (pid = flusher_pid()) > 0; }, 30000));
  ::kill(pid, SIGKILL);
  BOOST_REQUIRE(s.wait_until([&] { return ::kill(pid, 0) != 0; }, 60000));
  BOOST_REQUIRE(s.wait_until([&] { return s.pid_of("flusher") == 0; }, 10000));
}

std::string shell(const std::string& cmd, int* rc = nullptr) {
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string ctl(const std::string& args, int* rc) {
  return shell("set -a; . '" + stack().dir + "/secrets.env'; EZ_CONFIG_FILE='" + stack().dir +
                   "/config.yaml' '" + EZ_BUILD_DIR + "/ezapi-ctl' " + args + " 2>&1",
               rc);
}

std::string rfc3339(int64_t unix_s) {
  char buf[32];
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Fields of the shared fixture: masters, a priced model, the window every check uses.
struct World {
  Json::Value m1, m2;
  int64_t m1_id = 0, m2_id = 0;
  std::string priced;  // public model name with a price in namespace "default"
  int64_t from_s = 0, to_s = 0;
};

World& world() {
  static World w = [] {
    World x;
    x.m1 = create_master();
    x.m2 = create_master();
    x.m1_id = x.m1["id"].asInt64();
    x.m2_id = x.m2["id"].asInt64();
    x.priced = unique("priced");
    auto r = stack().http(
        "POST", "/models",
        R"({"name":"default.)" + x.priced + R"(","input_price":2.5,"output_price":"10"})");
    BOOST_REQUIRE_MESSAGE(r.status == 201, ez::it::describe(r));
    const int64_t now = now_ms() / 1000;
    x.from_s = (now - 80 * 3600) / 3600 * 3600;
    x.to_s = (now / 3600 + 2) * 3600;
    return x;
  }();
  return w;
}

// Clients posting random entries (timestamps over the last 72 hours, in no order) until
// stopped, retrying a batch on 503 as the balancer does.
class Load {
 public:
  explicit Load(int threads) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { run(t); });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  long long accepted() const { return accepted_; }
  long long unexpected() const { return unexpected_; }

 private:
  void run(int t) {
    const World& w = world();
    std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 17);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const std::vector<std::string> models = {w.priced, "unpriced-model", "gpt-x"};
    for (int i = 0; !stop_; ++i) {
      std::string body = "[";
      for (int j = 0; j < 20; ++j) {
        Json::Value e(Json::objectValue);
        e["request_id"] =
            "u-" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(j);
        e["timestamp"] = Json::Int64(now_ms() - static_cast<int64_t>(rng() % (72 * 3600000ULL)));
        if (pick(10)) e["master_id"] = Json::Int64(pick(2) ? w.m1_id : w.m2_id);
        if (pick(10)) e["key_id"] = Json::Int64(900000 + pick(6));
        if (pick(10)) e["model"] = models[static_cast<size_t>(pick(3))];
        if (pick(10)) e["provider_id"] = Json::Int64(800000 + pick(3));
        if (pick(10))
          e["status_code"] = std::vector<int>{
              200, 200, 200, 201, 400, 429, 500, 503}[static_cast<size_t>(pick(8))];
        if (pick(10)) e["latency_ms"] = Json::Int64(pick(4) ? pick(3000) : pick(200000));
        if (pick(10)) e["prompt_tokens"] = Json::Int64(pick(5000));
        if (pick(10)) e["completion_tokens"] = Json::Int64(pick(2000));
        e["total_tokens"] = Json::Int64(pick(7000));
        if (!pick(5)) e["cost"] = pick(1000) / 1e6;
        body += (j ? "," : "") + js(e);
      }
      body += "]";
      for (;;) {
        HttpResult r;
        try {
          r = post_logs(body);
        } catch (const std::exception&) {
          ++unexpected_;
          break;
        }
        if (r.status == 202) {
          accepted_ += 20;
          break;
        }
        // 503 is the documented refusal while PostgreSQL or the flusher is away (nothing of
        // the body was accepted): retry until the load stops, then drop it uncounted.
        if (r.status == 503) {
          if (stop_) break;
          std::this_thread::sleep_for(20ms);
          continue;
        }
        BOOST_TEST_MESSAGE("usage load: unexpected answer " << r.status << " " << r.body);
        ++unexpected_;
        break;
      }
    }
  }

  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> accepted_{0}, unexpected_{0};
};

struct Expected {
  long long requests = 0, errors = 0, unpriced = 0, prompt = 0, completion = 0, total = 0;
  std::optional<double> cost;
  std::optional<long long> p50, p95, p99;
};

// The nearest-rank percentile v, reported as the rollups can: its bucket's upper bound, or
// the max when that is lower (or when v is in the open last bucket).
std::optional<long long> reported(const std::string& v, const std::string& max) {
  if (v.empty()) return std::nullopt;
  const long long ms = std::stoll(v), mx = std::stoll(max);
  const size_t b = ez::rollup::latency_bucket(ms);
  if (b + 1 == ez::rollup::kLatencyBuckets) return mx;
  return std::min<long long>(ez::rollup::kLatencyBounds[b], mx);
}

std::string group_sql(const std::string& g) {
  const std::string bin = "date_bin('1 %', ts, timestamptz '2000-01-01 00:00:00+00')";
  auto stamp = [&](const char* unit) {
    std::string b = bin;
    b.replace(b.find('%'), 1, unit);
    return "to_char(" + b + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
  };
  if (g == "master") return "coalesce(master_id::text, '')";
  if (g == "key") return "coalesce(key_id::text, '')";
  if (g == "model") return "coalesce(model, '')";
  if (g == "provider") return "coalesce(provider_id::text, '')";
  if (g == "day") return stamp("day");
  return stamp("hour");
}

// Straight from the raw logs: what /admin/usage must say.
std::map<std::string, Expected> from_raw_logs(const std::string& group_by, const World& w,
                                              const std::string& where = "true") {
  const std::string sql =
      "SELECT " + group_sql(group_by) +
      ", count(*), count(*) FILTER (WHERE status_code >= 400), count(*) FILTER (WHERE cost IS "
      "NULL), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), "
      "coalesce(sum(total_tokens), 0), sum(cost)::text, "
      "percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms), "
      "percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms), "
      "percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_ms), max(latency_ms) "
      "FROM logs WHERE ts >= to_timestamp(" +
      std::to_string(w.from_s) + ") AND ts < to_timestamp(" + std::to_string(w.to_s) + ") AND " +
      where + " GROUP BY 1";
  std::map<std::string, Expected> out;
  for (const auto& r : stack().sql(sql)) {
    Expected e;
    e.requests = std::stoll(r[1]);
    e.errors = std::stoll(r[2]);
    e.unpriced = std::stoll(r[3]);
    e.prompt = std::stoll(r[4]);
    e.completion = std::stoll(r[5]);
    e.total = std::stoll(r[6]);
    if (!r[7].empty()) e.cost = std::strtod(r[7].c_str(), nullptr);
    e.p50 = reported(r[8], r[11]);
    e.p95 = reported(r[9], r[11]);
    e.p99 = reported(r[10], r[11]);
    out[r[0]] = e;
  }
  return out;
}

std::optional<long long> opt(const Json::Value& v) {
  if (v.isNull()) return std::nullopt;
  return v.asInt64();
}

void expect_equal(const Json::Value& row, const Expected& e, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST(row["requests"].asInt64() == e.requests);
    BOOST_TEST(row["errors"].asInt64() == e.errors);
    BOOST_TEST(row["unpriced_requests"].asInt64() == e.unpriced);
    BOOST_TEST(row["prompt_tokens"].asInt64() == e.prompt);
    BOOST_TEST(row["completion_tokens"].asInt64() == e.completion);
    BOOST_TEST(row["total_tokens"].asInt64() == e.total);
    BOOST_TEST(row["cost"].isNull() == !e.cost.has_value());
    if (e.cost && !row["cost"].isNull()) BOOST_TEST(row["cost"].asDouble() == *e.cost);
    BOOST_TEST((opt(row["latency_p50_ms"]) == e.p50));
    BOOST_TEST((opt(row["latency_p95_ms"]) == e.p95));
    BOOST_TEST((opt(row["latency_p99_ms"]) == e.p99));
  }
}

std::string window_query(const World& w) {
  return "from=" + rfc3339(w.from_s) + "&to=" + std::to_string(w.to_s);
}

void check_usage_matches_raw_logs(const std::string& label) {
  const World& w = world();
  for (const std::string g : {"master", "key", "model", "provider", "day", "hour"}) {
    auto r = get_after_restart("/admin/usage?" + window_query(w) + "&group_by=" + g);
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    const Json::Value j = r.json();
    BOOST_TEST(j["group_by"].asString() == g);
    BOOST_TEST(j["from"].asString() == rfc3339(w.from_s));
    const auto want = from_raw_logs(g, w);
    BOOST_TEST(j["rows"].size() == want.size(), label << " " << g);
    for (const auto& row : j["rows"]) {
      const std::string key = row["group"].asString();
      const auto it = want.find(key);
      BOOST_TEST_CONTEXT(label << " group_by=" << g << " group='" << key << "'") {
        BOOST_REQUIRE(it != want.end());
        expect_equal(row, it->second, label + " " + g + " " + key);
      }
    }
    // Totals: one SQL group over everything.
    auto all = from_raw_logs("master", w, "true");
    long long requests = 0;
    for (const auto& [k, e] : all) requests += e.requests;
    BOOST_TEST(j["totals"]["requests"].asInt64() == requests);
  }
  // With a master filter, master/day/hour still read the per-master rollups (sql/008).
  for (const std::string g : {"master", "day", "hour"}) {
    const std::string m1 = std::to_string(w.m1_id);
    auto r = get_after_restart("/admin/usage?" + window_query(w) + "&group_by=" + g +
                               "&master_id=" + m1);
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    const Json::Value j = r.json();
    const auto want = from_raw_logs(g, w, "master_id = " + m1);
    BOOST_TEST(j["rows"].size() == want.size(), label << " " << g << " master_id");
    for (const auto& row : j["rows"]) {
      const auto it = want.find(row["group"].asString());
      BOOST_REQUIRE(it != want.end());
      expect_equal(row, it->second, label + " " + g + " master_id " + row["group"].asString());
    }
  }
  // Every per-master rollup row equals the sum of the full rollup's rows it stands for,
  // counters and histogram alike, for both grains (a missed or doubled batch shows here).
  std::string hist;
  for (size_t i = 0; i < ez::rollup::kLatencyBuckets; ++i)
    hist += ", sum(" + ez::rollup::hist_column(i) + ")";
  for (const auto& [full, narrow] : {std::pair{"usage_hourly", "usage_master_hourly"},
                                     std::pair{"usage_daily", "usage_master_daily"}}) {
    const std::string sums =
        "sum(requests), sum(errors), sum(unpriced), sum(prompt_tokens), "
        "sum(completion_tokens), sum(total_tokens), sum(cost), "
        "sum(latency_count), sum(latency_sum), max(latency_max)" +
        hist;
    const std::string diff =
        std::string("SELECT count(*) FROM ((SELECT bucket, master_id, ") + sums + " FROM " + full +
        " GROUP BY 1, 2 EXCEPT ALL SELECT bucket, master_id, " + sums + " FROM " + narrow +
        " GROUP BY 1, 2) UNION ALL (SELECT bucket, master_id, " + sums + " FROM " + narrow +
        " GROUP BY 1, 2 EXCEPT ALL SELECT bucket, master_id, " + sums + " FROM " + full +
        " GROUP BY 1, 2)) d";
    BOOST_TEST(count(diff) == 0, label << " " << narrow << " differs from " << full);
    BOOST_TEST(count(std::string("SELECT count(*) FROM ") + narrow) > 0, narrow);
  }

  // Totals against one SQL aggregate over the window.
  auto r = get_after_restart("/admin/usage?" + window_query(w) + "&group_by=day");
  auto all = stack().sql(
      "SELECT count(*), coalesce(sum(prompt_tokens),0), sum(cost)::text FROM logs WHERE ts >= "
      "to_timestamp(" +
      std::to_string(w.from_s) + ") AND ts < to_timestamp(" + std::to_string(w.to_s) + ")");
  BOOST_TEST(r.json()["totals"]["requests"].asInt64() == std::stoll(all[0][0]));
  BOOST_TEST(r.json()["totals"]["prompt_tokens"].asInt64() == std::stoll(all[0][1]));
  BOOST_TEST(r.json()["totals"]["cost"].asDouble() == std::strtod(all[0][2].c_str(), nullptr));
}

// The rollup rows of the window's days, as text, in a fixed order.
std::vector<std::vector<std::string>> rollup_rows(const World& w) {
  std::vector<std::vector<std::string>> out;
  for (const auto& t : ez::rollup::kRollupTables) {
    auto rows =
        stack().sql(std::string("SELECT '") + t.name + "', * FROM " + t.name +
                    " WHERE bucket >= date_bin('1 day', to_timestamp(" + std::to_string(w.from_s) +
                    "), timestamptz '2000-01-01+00') ORDER BY " +
                    (t.per_master ? "bucket, master_id"
                                  : "bucket, master_id, key_id, model, provider_id, status_class"));
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(model_prices_are_decimals_kept_out_of_redis) {
  auto& s = stack();
  const std::string name = "default." + unique("mp");
  auto r = s.http("POST", "/models",
                  R"({"name":")" + name +
                      R"(","input_price":0.0000025,"output_price":"3","cache_read_price":1.25})");
  BOOST_REQUIRE_MESSAGE(r.status == 201, ez::it::describe(r));
  BOOST_TEST(r.body.find("\"input_price\":2.5e-06") != std::string::npos, r.body);
  BOOST_TEST(r.json()["currency"].asString() == "USD");
  BOOST_TEST(scalar("SELECT input_price::text FROM models WHERE name = '" + name + "'") ==
             "0.0000025");
  // Not in the balancer's snapshot.
  auto meta = s.redis({"HGET", "meta:models", name});
  BOOST_REQUIRE(!meta.empty());
  BOOST_TEST(meta[0].find("price") == std::string::npos, meta[0]);
  // Validation names the field.
  r = s.http("PUT", "/models/" + name, R"({"output_price":-1})");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.json()["field"].asString() == "output_price");
  r = s.http("PUT", "/models/" + name, R"({"input_price":null})");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.json()["field"].asString() == "input_price");
  r = s.http("PUT", "/models/" + name,
             R"({"input_price":null,"output_price":null,"cache_read_price":null})");
  BOOST_TEST(r.status == 200, ez::it::describe(r));
  BOOST_TEST(r.json()["input_price"].isNull());
}

BOOST_AUTO_TEST_CASE(cost_at_ingest_uses_the_price_of_the_moment) {
  auto& s = stack();
  const std::string model = unique("cm");
  // "default" and "prod" namespaces price the same public model differently.
  BOOST_REQUIRE(s.http("POST", "/models",
                       R"({"name":"default.)" + model +
                           R"(","input_price":2.5,"output_price":10,"cache_read_price":1.25})")
                    .status == 201);
  BOOST_REQUIRE(s.http("POST", "/models",
                       R"({"name":"prod.)" + model + R"(","input_price":1,"output_price":1})")
                    .status == 201);
  const Json::Value prod_master = create_master([] {
    Json::Value b(Json::objectValue);
    b["namespaces"].append("prod");
    b["default_namespace"] = "prod";
    return b;
  }());
  const std::string pm = std::to_string(prod_master["id"].asInt64());
  const std::string p = unique("cost");
  auto e = [&](const std::string& id, const std::string& more) {
    return R"({"request_id":")" + p + id + R"(","prompt_tokens":1000,"completion_tokens":100)" +
           more + "}";
  };
  const std::string body = "[" + e("-a", R"(,"model":")" + model + R"(")") + "," +
                           e("-b", R"(,"model":")" + model + R"(","cost":0.5)") + "," +
                           e("-c", R"(,"model":"no-such-model")") + "," +
                           e("-d", R"(,"model":")" + model + R"(","namespace":"prod")") + "," +
                           e("-e", R"(,"model":")" + model + R"(","master_id":)" + pm) + "," +
                           e("-f", R"(,"model":")" + model + R"(","cache_read_tokens":400)") + "," +
                           e("-g", "") + "]";
  BOOST_REQUIRE(post_logs(body).status == 202);
  wait_for_flush("cost1");
  auto cost = [&](const std::string& id) {
    auto rows =
        s.sql("SELECT coalesce(cost::text, 'NULL') FROM logs WHERE request_id = '" + p + id + "'");
    return rows.empty() ? std::string("missing") : rows[0][0];
  };
  BOOST_TEST(cost("-a") == "0.0035");  // (1000*2.5 + 100*10) / 1e6
  BOOST_TEST(cost("-b") == "0.5");     // carried by the entry
  BOOST_TEST(cost("-c") == "NULL");    // no price
  BOOST_TEST(cost("-d") == "0.0011");  // the prod price
  BOOST_TEST(cost("-e") == "0.0011");  // namespace from the master's default
  BOOST_TEST(cost("-f") == "0.003");   // (600*2.5 + 400*1.25 + 100*10) / 1e6
  BOOST_TEST(cost("-g") == "NULL");    // no model
  // A new price applies to what arrives next, never to what is stored.
  BOOST_REQUIRE(s.http("PUT", "/models/default." + model, R"({"input_price":5})").status == 200);
  BOOST_REQUIRE(post_logs("[" + e("-h", R"(,"model":")" + model + R"(")") + "]").status == 202);
  wait_for_flush("cost2");
  BOOST_TEST(cost("-h") == "0.006");
  BOOST_TEST(cost("-a") == "0.0035");
  // The rollups count the unpriced ones.
  const auto unpriced =
      count("SELECT sum(unpriced) FROM usage_hourly WHERE model = 'no-such-model'");
  BOOST_TEST(unpriced >= 1);
}

BOOST_AUTO_TEST_CASE(usage_equals_raw_logs_through_sigkills_and_a_postgres_restart) {
  auto& s = stack();
  (void)world();
  Load load(3);
  std::this_thread::sleep_for(1500ms);
  sigkill_flusher();
  restart_missing_services();
  std::this_thread::sleep_for(1500ms);
  sigkill_flusher();
  restart_missing_services();
  std::this_thread::sleep_for(1000ms);
  s.stop("postgres");
  std::this_thread::sleep_for(2s);
  restart_missing_services();
  std::this_thread::sleep_for(1000ms);
  load.stop();
  BOOST_TEST(load.unexpected() == 0);
  BOOST_TEST(load.accepted() > 0);
  BOOST_TEST_MESSAGE("usage load: " << load.accepted() << " entries accepted");
  const long long want = load.accepted();
  BOOST_REQUIRE(s.wait_until(
      [&] { return count("SELECT count(*) FROM logs WHERE request_id LIKE 'u-%'") >= want; },
      120000));
  wait_for_flush("usage");
  BOOST_TEST(count("SELECT count(*) FROM logs WHERE request_id LIKE 'u-%'") == want);
  check_usage_matches_raw_logs("incremental");

  // The rebuild re-derives the same rollups from the raw logs.
  const World& w = world();
  const auto before = rollup_rows(w);
  BOOST_TEST(before.size() > 10u);
  int rc = -1;
  const std::string out =
      ctl("usage rebuild --from " + std::to_string(w.from_s) + " --to " + rfc3339(w.to_s), &rc);
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("rebuilt usage rollups") != std::string::npos, out);
  // Days whose raw logs retention dropped are refused (their rollups would be emptied).
  const std::string refused = ctl("usage rebuild --from " + std::to_string(w.from_s - 60 * 86400) +
                                      " --to " + std::to_string(w.to_s),
                                  &rc);
  BOOST_TEST(rc == 2, refused);
  BOOST_TEST(refused.find("log.retention_days") != std::string::npos, refused);
  const auto after = rollup_rows(w);
  BOOST_TEST(after.size() == before.size());
  BOOST_TEST((after == before));
  check_usage_matches_raw_logs("rebuilt");

  // Filters narrow both sides alike.
  auto r = s.http("GET", "/admin/usage?" + window_query(w) + "&group_by=key&master_id=" +
                             std::to_string(w.m1_id) + "&provider_id=800001");
  BOOST_REQUIRE(r.status == 200);
  const auto want_rows = from_raw_logs(
      "key", w, "master_id = " + std::to_string(w.m1_id) + " AND provider_id = 800001");
  BOOST_TEST(r.json()["rows"].size() == want_rows.size());
  const Json::Value filtered = r.json();  // a named value: the loop must not walk a temporary
  for (const auto& row : filtered["rows"])
    expect_equal(row, want_rows.at(row["group"].asString()), "filtered");

  // The terminal table.
  const std::string table =
      ctl("usage --from " + std::to_string(w.from_s) + " --to " + std::to_string(w.to_s), &rc);
  BOOST_TEST(rc == 0, table);
  BOOST_TEST(table.find("TOTAL") != std::string::npos, table);
  ctl("usage --group-by week", &rc);
  BOOST_TEST(rc == 2);
}

BOOST_AUTO_TEST_CASE(a_master_sees_its_own_usage_and_logs_only) {
  auto& s = stack();
  const World& w = world();
  const std::string p = unique("own");
  std::string body = "[";
  for (int i = 0; i < 6; ++i)
    body += std::string(i ? "," : "") + R"({"request_id":")" + p + "-" + std::to_string(i) +
            R"(","master_id":)" + std::to_string(i % 2 ? w.m1_id : w.m2_id) + R"(,"key_id":)" +
            std::to_string(700000 + i) + R"(,"status_code":200})";
  BOOST_REQUIRE(post_logs(body + "]").status == 202);
  wait_for_flush("own");
  const std::string key1 = w.m1["master_key"].asString();
  auto r = s.http_token("GET", "/master/usage?" + window_query(w), key1);
  BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
  BOOST_TEST(r.json()["group_by"].asString() == "key");
  const auto want = from_raw_logs("key", w, "master_id = " + std::to_string(w.m1_id));
  BOOST_TEST(r.json()["rows"].size() == want.size());
  const Json::Value mine = r.json();
  BOOST_TEST(mine["rows"].size() > 0u);
  for (const auto& row : mine["rows"])
    expect_equal(row, want.at(row["group"].asString()), "master view");
  r = s.http_token("GET", "/master/usage?group_by=master&" + window_query(w), key1);
  BOOST_REQUIRE(r.json()["rows"].size() == 1u);
  BOOST_TEST(r.json()["rows"][0]["master_id"].asInt64() == w.m1_id);
  // Another master's id is not a filter a master may use; admins are not masters.
  BOOST_TEST(
      s.http_token("GET", "/master/usage?master_id=" + std::to_string(w.m2_id), key1).status ==
      400);
  BOOST_TEST(s.http("GET", "/master/usage").status == 403);
  BOOST_TEST(s.http("GET", "/master/usage", "", Auth::none).status == 401);
  BOOST_TEST(s.http_token("GET", "/admin/usage", key1).status == 403);
  // Logs: only its own, every page.
  std::string cursor;
  std::set<std::string> seen;
  for (int page = 0; page < 1000; ++page) {
    r = s.http_token(
        "GET",
        "/master/logs?limit=500&" + window_query(w) + (cursor.empty() ? "" : "&cursor=" + cursor),
        key1);
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    const Json::Value page_json = r.json();
    for (const auto& item : page_json["items"]) {
      BOOST_TEST(item["master_id"].asInt64() == w.m1_id);
      seen.insert(item["request_id"].asString() + "/" + std::to_string(item["id"].asInt64()));
    }
    if (page_json["next_cursor"].isNull()) break;
    cursor = page_json["next_cursor"].asString();
  }
  BOOST_TEST(static_cast<long long>(seen.size()) ==
             count("SELECT count(*) FROM logs WHERE master_id = " + std::to_string(w.m1_id) +
                   " AND ts >= to_timestamp(" + std::to_string(w.from_s) +
                   ") AND ts < to_timestamp(" + std::to_string(w.to_s) + ")"));
  BOOST_TEST(
      seen.count(p + "-1/" + scalar("SELECT id FROM logs WHERE request_id = '" + p + "-1'")));
  BOOST_TEST(
      !seen.count(p + "-0/" + scalar("SELECT id FROM logs WHERE request_id = '" + p + "-0'")));
}

// group_by=key reports each key's quota (its stored fields) beside its usage.
BOOST_AUTO_TEST_CASE(key_usage_reports_each_keys_quota) {
  auto& s = stack();
  const World& w = world();
  const std::string mid = std::to_string(w.m1_id);
  auto make_key = [&](const std::string& quota) {
    auto r = s.http("POST", "/admin/masters/" + mid + "/keys",
                    R"({"name":")" + unique("qk") + "\"," + quota + "}");
    BOOST_REQUIRE_MESSAGE(r.status == 201, ez::it::describe(r));
    return std::to_string(r.json()["id"].asInt64());
  };
  const std::string limited =
      make_key(R"("quota_limit":1000,"quota_used":250,"unlimited_quota":false)");
  const std::string spent =
      make_key(R"("quota_limit":100,"quota_used":300,"unlimited_quota":false)");
  const std::string unlimited = make_key(R"("quota_used":42,"unlimited_quota":true)");
  const std::string gone = "987654321";  // logs may name a key that does not exist (any more)
  std::string body = "[";
  for (const auto& k : {limited, limited, spent, unlimited, gone})
    body += std::string(body.size() > 1 ? "," : "") + R"({"request_id":")" + unique("q") +
            R"(","master_id":)" + mid + R"(,"key_id":)" + k + R"(,"status_code":200})";
  BOOST_REQUIRE(post_logs(body + "]").status == 202);
  wait_for_flush("quota");
  auto by_key = [&](const HttpResult& r) {
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    std::map<std::string, Json::Value> rows;
    const Json::Value j = r.json();
    for (const auto& row : j["rows"]) rows[row["group"].asString()] = row;
    return rows;
  };
  auto check = [&](std::map<std::string, Json::Value> rows, const std::string& who) {
    BOOST_TEST_CONTEXT(who) {
      BOOST_REQUIRE(rows.count(limited));
      BOOST_TEST(rows[limited]["requests"].asInt64() == 2);
      const Json::Value q = rows[limited]["quota"];
      BOOST_TEST(q["unlimited"].asBool() == false);
      BOOST_TEST(q["limit"].asInt64() == 1000);
      BOOST_TEST(q["used"].asInt64() == 250);
      BOOST_TEST(q["remaining"].asInt64() == 750);
      BOOST_REQUIRE(rows.count(spent));
      BOOST_TEST(rows[spent]["quota"]["remaining"].asInt64() == 0);
      BOOST_REQUIRE(rows.count(unlimited));
      BOOST_TEST(rows[unlimited]["quota"]["unlimited"].asBool());
      BOOST_TEST(rows[unlimited]["quota"]["used"].asInt64() == 42);
      BOOST_TEST(rows[unlimited]["quota"]["remaining"].isNull());
      BOOST_REQUIRE(rows.count(gone));
      BOOST_TEST(rows[gone]["quota"].isNull());
    }
  };
  check(by_key(s.http("GET", "/admin/usage?group_by=key&master_id=" + mid + "&" + window_query(w))),
        "admin");
  check(by_key(
            s.http_token("GET", "/master/usage?" + window_query(w), w.m1["master_key"].asString())),
        "master");
  // A quota changed through the key API shows at once (it is read with the usage).
  BOOST_REQUIRE(s.http("PUT", "/keys/" + limited, R"({"quota_used":900})").status == 200);
  auto rows =
      by_key(s.http("GET", "/admin/usage?group_by=key&key_id=" + limited + "&" + window_query(w)));
  BOOST_TEST(rows[limited]["quota"]["remaining"].asInt64() == 100);
  // Other groupings carry no quota.
  const Json::Value masters =
      s.http("GET", "/admin/usage?group_by=master&" + window_query(w)).json();
  BOOST_REQUIRE(masters["rows"].size() > 0u);
  BOOST_TEST(!masters["rows"][0].isMember("quota"));
}

BOOST_AUTO_TEST_CASE(log_search_pages_newest_first_without_gaps) {
  auto& s = stack();
  const std::string p = unique("page");
  // 40 entries, 10 of them sharing one timestamp: the id breaks the tie.
  const int64_t base = now_ms() - 3600000;
  std::string body = "[";
  for (int i = 0; i < 40; ++i)
    body += std::string(i ? "," : "") + R"({"request_id":")" + p + "-" + std::to_string(i) +
            R"(","key_id":655321,"timestamp":)" + std::to_string(i < 10 ? base : base + i * 1000) +
            R"(,"status_code":)" + (i % 4 == 0 ? "502" : "200") + R"(,"error_type":")" +
            (i % 4 == 0 ? "upstream" : "none") + R"("})";
  BOOST_REQUIRE(post_logs(body + "]").status == 202);
  wait_for_flush("page");
  const std::string q = "/admin/logs?key_id=655321&from=" + std::to_string(base / 1000 - 10) +
                        "&to=" + std::to_string(base / 1000 + 100);
  std::vector<std::string> got;
  std::string cursor;
  for (int page = 0; page < 20; ++page) {
    auto r = s.http("GET", q + "&limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    const Json::Value page_json = r.json();
    for (const auto& item : page_json["items"]) got.push_back(item["request_id"].asString());
    if (page_json["next_cursor"].isNull()) break;
    cursor = page_json["next_cursor"].asString();
  }
  std::vector<std::string> want;
  for (const auto& row : s.sql("SELECT request_id FROM logs WHERE key_id = 655321 ORDER BY ts "
                               "DESC, id DESC"))
    want.push_back(row[0]);
  BOOST_TEST(got.size() == 40u);
  BOOST_TEST((got == want));
  // Filters.
  auto r = s.http("GET", q + "&status=5xx&limit=500");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json()["items"].size() == 10u);
  r = s.http("GET", q + "&status=502&error_type=upstream&limit=500");
  BOOST_TEST(r.json()["items"].size() == 10u);
  r = s.http("GET", q + "&request_id=" + p + "-3");
  BOOST_REQUIRE(r.json()["items"].size() == 1u);
  BOOST_TEST(r.json()["items"][0]["request_id"].asString() == p + "-3");
  // One log by request id.
  r = s.http("GET", "/admin/logs/" + p + "-5");
  BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
  BOOST_TEST(r.json()["key_id"].asInt64() == 655321);
  BOOST_TEST(s.http("GET", "/admin/logs/" + unique("nope")).status == 404);
  // Bad parameters are 400s naming them.
  r = s.http("GET", "/admin/logs?naem=x");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.json()["field"].asString() == "naem");
  r = s.http("GET", "/admin/logs?from=2020-01-01T00:00:00Z&to=2020-03-01T00:00:00Z");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.json()["field"].asString() == "from");
  r = s.http("GET", "/admin/usage?group_by=week");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.json()["field"].asString() == "group_by");
  BOOST_TEST(s.http("GET", "/admin/logs", "", Auth::none).status == 401);
}

BOOST_AUTO_TEST_CASE(exports_stream_every_row_and_stop_at_the_limit) {
  auto& s = stack();
  const std::string p = unique("exp");
  const int64_t base = now_ms() - 7200000;
  auto post = [&](int key, int n) {
    std::string body = "[";
    for (int i = 0; i < n; ++i)
      body += std::string(i ? "," : "") + R"({"request_id":")" + p + "-" + std::to_string(key) +
              "-" + std::to_string(i) + R"(","key_id":)" + std::to_string(key) +
              R"(,"timestamp":)" + std::to_string(base + i) +
              R"(,"model":"a,b","error_message":"line1\nline2 \"q\""})";
    BOOST_REQUIRE(post_logs(body + "]").status == 202);
  };
  post(611001, 120);  // under the limit (150)
  post(611002, 200);  // over it
  wait_for_flush("exp");
  const std::string win =
      "&from=" + std::to_string(base / 1000 - 10) + "&to=" + std::to_string(base / 1000 + 100);
  auto r = s.http("GET", "/admin/logs/export?format=ndjson&key_id=611001" + win);
  BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
  BOOST_TEST(r.header("content-type").find("application/x-ndjson") == 0u);
  BOOST_TEST(r.header("transfer-encoding") == "chunked");  // streamed, no Content-Length
  std::istringstream lines(r.body);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    Json::Value j;
    Json::CharReaderBuilder b;
    std::string errs;
    std::istringstream one(line);
    BOOST_REQUIRE(Json::parseFromStream(b, one, &j, &errs));
    BOOST_TEST(!j.isMember("error"));
    BOOST_TEST(j["error_message"].asString() == "line1\nline2 \"q\"");
    ++n;
  }
  BOOST_TEST(n == 120);

  r = s.http("GET", "/admin/logs/export?format=csv&key_id=611001" + win);
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.header("content-type").find("text/csv") == 0u);
  BOOST_TEST(r.body.rfind("id,ts,received_at,request_id,", 0) == 0u);
  BOOST_TEST(r.body.find("\"a,b\"") != std::string::npos);
  BOOST_TEST(r.body.find("#error") == std::string::npos);

  // Past usage.export_max_rows: the rows up to it, then one error line.
  r = s.http("GET", "/admin/logs/export?format=ndjson&key_id=611002" + win);
  BOOST_REQUIRE(r.status == 200);
  std::vector<std::string> all;
  std::istringstream l2(r.body);
  while (std::getline(l2, line)) all.push_back(line);
  BOOST_REQUIRE(all.size() == static_cast<size_t>(kExportMaxRows + 1));
  BOOST_TEST(all.back().find("\"code\":\"export_limit\"") != std::string::npos, all.back());
  r = s.http("GET", "/admin/logs/export?format=csv&key_id=611002" + win);
  BOOST_TEST(r.body.find("\r\n#error,export_limit,") != std::string::npos);

  // Usage export.
  r = s.http("GET", "/admin/usage/export?format=csv&group_by=key" + win);
  BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
  BOOST_TEST(r.body.rfind("group,key_id,requests,", 0) == 0u);
  BOOST_TEST(r.body.find("611002,611002,200,") != std::string::npos, r.body);
  // Exports take no page parameters; pages take no format.
  BOOST_TEST(s.http("GET", "/admin/logs/export?limit=5").status == 400);
  BOOST_TEST(s.http("GET", "/admin/logs?format=csv").status == 400);
}

// The search's WHERE bounds the partition key: PostgreSQL plans only the window's day
// partitions (here one hour of today: one partition, not the others nor logs_default).
BOOST_AUTO_TEST_CASE(log_search_reads_only_the_windows_partitions) {
  auto& s = stack();
  const int64_t now = now_ms() / 1000;
  auto ts = [](int64_t unix_s) { return "to_timestamp(" + std::to_string(unix_s) + ")"; };
  BOOST_REQUIRE(count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass") >= 4);
  auto plan = s.sql("PREPARE ez_plan_check AS " + ez::usage::logs_search_sql() +
                    "; EXPLAIN EXECUTE ez_plan_check(" + ts(now - 1800) + ", " + ts(now + 60) +
                    ", NULL, 7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51)");
  std::string text;
  for (const auto& row : plan) text += row[0] + "\n";
  std::set<std::string> partitions;  // logs_pYYYYMMDD, not the index names (logs_p..._idx)
  for (size_t at = text.find("logs_p"); at != std::string::npos; at = text.find("logs_p", at + 1))
    if (at + 14 <= text.size() && (at + 14 == text.size() || text[at + 14] != '_'))
      partitions.insert(text.substr(at, 14));
  BOOST_TEST(partitions.size() >= 1u, text);
  BOOST_TEST(partitions.size() <= 2u, text);  // the window may straddle midnight
  BOOST_TEST(text.find("logs_default") == std::string::npos, text);
}

// Valid extreme input is answered, never a 500: the last representable times, a cursor past
// them, request ids that are not UTF-8, the ceilings of an entry's numbers; and the bearer
// scheme in any case (RFC 7235), for admins, masters and the balancer alike.
BOOST_AUTO_TEST_CASE(extreme_input_is_a_400_naming_it_never_a_500) {
  auto& s = stack();
  const Json::Value m = create_master();
  const std::string key = m["master_key"].asString();
  auto field_of = [](const HttpResult& r) { return r.json().get("field", "").asString(); };
  for (const std::string to : {"253402300799", "9999-12-31T23:30:00Z"}) {
    for (const std::string path : {"/admin/usage?to=", "/admin/usage/export?to="}) {
      const auto r = s.http("GET", path + to);
      BOOST_TEST(r.status == 400, path << to << ": " << ez::it::describe(r));
      BOOST_TEST(field_of(r) == "to", path << to);
    }
    const auto r = s.http_token("GET", "/master/usage?to=" + to, key);
    BOOST_TEST(r.status == 400, ez::it::describe(r));
    int rc = 0;
    const std::string out = ctl("usage --to " + to, &rc);
    BOOST_TEST(rc == 2, out);
    BOOST_TEST(out.find("--to") != std::string::npos, out);
  }
  BOOST_TEST(s.http("GET", "/admin/usage?to=9999-12-31T23:00:00Z").status == 200);
  for (const char* cursor : {"253402300800000000_1", "999999999999999999_1"}) {
    const auto r = s.http("GET", std::string("/admin/logs?cursor=") + cursor);
    BOOST_TEST(r.status == 400, cursor << ": " << ez::it::describe(r));
    BOOST_TEST(field_of(r) == "cursor");
  }
  for (const char* id : {"%ff", "%c3%28"}) {
    const auto r = s.http("GET", std::string("/admin/logs/") + id);
    BOOST_TEST(r.status == 400, id << ": " << ez::it::describe(r));
    BOOST_TEST(field_of(r) == "request_id");
  }
  // Ceilings at ingest: the refusal names the entry and the field.
  const auto big =
      post_logs(R"([{"request_id":"ok-1","cost":1},{"request_id":"big","cost":1.7e308}])");
  BOOST_TEST(big.status == 400, ez::it::describe(big));
  BOOST_TEST(big.body.find("entry 1") != std::string::npos, big.body);
  BOOST_TEST(post_logs(R"({"request_id":"t","total_tokens":9223372036854775807})").status == 400);
  // The scheme in lower case.
  BOOST_TEST(
      s.http("GET", "/admin/status", "", Auth::none, {{"Authorization", "bearer " + s.admin_token}})
          .status == 200);
  BOOST_TEST(
      s.http("GET", "/master/self", "", Auth::none, {{"Authorization", "BEARER " + key}}).status ==
      200);
  BOOST_TEST(s.http("POST", "/logs", R"({"request_id":")" + unique("lower") + R"("})", Auth::none,
                    {{"Authorization", "bearer " + s.internal_token},
                     {"Content-Type", "application/json"}})
                 .status == 202);
}

// An entry without total_tokens counted 0 (258.1k total beside 471k in and 387k out): it is
// prompt + completion now, in the raw row and the rollups alike; migration 009 corrects the
// rows the raw logs still hold, stored before (simulated here by undoing the fix on one row).
BOOST_AUTO_TEST_CASE(an_absent_total_is_prompt_plus_completion_and_009_corrects_old_rows) {
  auto& s = stack();
  const Json::Value m = create_master();
  const std::string mid = std::to_string(m["id"].asInt64());
  const std::string id = unique("total");
  BOOST_REQUIRE(post_logs(R"({"request_id":")" + id + R"(","master_id":)" + mid +
                          R"(,"prompt_tokens":471,"completion_tokens":387})")
                    .status == 202);
  wait_for_flush("total");
  auto total = [&](const std::string& group_by) {
    const auto r = get_after_restart("/admin/usage?master_id=" + mid + "&group_by=" + group_by);
    BOOST_REQUIRE_MESSAGE(r.status == 200, ez::it::describe(r));
    return r.json()["totals"]["total_tokens"].asInt64();
  };
  BOOST_TEST(total("master") == 858);  // the per-master rollups
  BOOST_TEST(total("key") == 858);     // the full ones
  BOOST_TEST(scalar("SELECT total_tokens FROM logs WHERE request_id = '" + id + "'") == "858");
  // What the previous version stored: no total in the row, 0 added to the rollups.
  (void)s.sql("UPDATE logs SET total_tokens = NULL WHERE request_id = '" + id + "'");
  for (const auto& t : ez::rollup::kRollupTables)
    (void)s.sql(std::string("UPDATE ") + t.name + " SET total_tokens = total_tokens - 858 WHERE " +
                "master_id = " + mid);
  BOOST_TEST(total("master") == 0);
  (void)s.sql("DELETE FROM schema_migrations WHERE name LIKE '009%'");
  int rc = 0;
  const std::string out = ctl("migrate", &rc);
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  BOOST_TEST(total("master") == 858);
  BOOST_TEST(total("key") == 858);
  BOOST_TEST(total("day") == 858);
  BOOST_TEST(scalar("SELECT total_tokens FROM logs WHERE request_id = '" + id + "'") == "858");
}
