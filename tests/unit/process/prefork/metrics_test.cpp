#include "prefork/metrics.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/build_info.h"
#include "common/prometheus.h"
#include "logq/metrics.h"
#include "snapshot/backlog.h"

using namespace ez::prefork;
using namespace ez::prometheus;

namespace {

GlobalView sample_global() {
  GlobalView g;
  g.master_pid = 100;
  g.start_unix = 1'700'000'000;
  g.start_mono_ns = 1'000'000'000;
  g.workers_configured = 2;
  g.generation = 3;
  g.accepted = 42;
  g.restarts = {1, 2, 3};
  g.max_requests = 1000;
  g.request_timeout_ms = 30000;
  return g;
}

std::vector<SlotView> sample_slots() {
  SlotView idle;
  idle.index = 0;
  idle.pid = 101;
  idle.state = WorkerState::idle;
  idle.generation = 3;
  idle.requests = 40;
  idle.started_ns = 2'000'000'000;
  idle.method = "GET";
  idle.route = "/healthz";
  idle.last_status = 200;
  SlotView busy = idle;
  busy.index = 1;
  busy.pid = 102;
  busy.state = WorkerState::busy;
  busy.request_start_ns = 9'000'000'000;
  busy.route = "/providers/{id}";
  return {idle, busy};
}

std::vector<RouteCounts> sample_routes() {
  RouteCounts r;
  r.method = "GET";
  r.route = "/providers/{id}";
  r.by_status[static_cast<size_t>(status_index(200))] = 5;
  r.by_status[static_cast<size_t>(status_index(404))] = 1;
  r.buckets[0] = 2;
  r.buckets[3] = 3;
  r.buckets[kLatencySlots - 1] = 1;
  r.count = 6;
  r.sum_ns = 12'500'000'000ULL;
  RouteCounts odd;
  odd.method = "GET";
  odd.route = "/we\"ird\\path\n";
  odd.by_status[kStatusSlots - 1] = 1;
  odd.buckets[1] = 1;
  odd.count = 1;
  odd.sum_ns = 700'000;
  return {r, odd};
}

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

// A strict-enough reader of the Prometheus text format 0.0.4. Fails the test on any
// line it does not understand; returns the samples.
std::vector<Sample> parse_exposition(const std::string& text) {
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  static const std::regex type(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|Inf|NaN))$)");
  static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((\\.|[^"\\])*)")re");

  std::vector<Sample> out;
  std::set<std::string> typed;
  std::string family, family_type, helped;
  std::istringstream in(text);
  std::string line;
  BOOST_TEST(!text.empty());
  BOOST_TEST(text.back() == '\n');
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      helped = m[1];
      continue;
    }
    if (std::regex_match(line, m, type)) {
      family = m[1];
      family_type = m[2];
      BOOST_TEST(helped == family, "HELP precedes TYPE for " << family);
      BOOST_TEST(typed.insert(family).second, "one TYPE line per family: " << family);
      continue;
    }
    BOOST_REQUIRE_MESSAGE(std::regex_match(line, m, sample), "not a sample line: " << line);
    Sample s;
    s.name = m[1];
    s.value = m[4];
    const std::string labels = m[3];
    std::string rest = labels;
    for (std::sregex_iterator it(labels.begin(), labels.end(), label), end; it != end; ++it)
      s.labels[(*it)[1]] = (*it)[2];
    // Every sample belongs to the family announced just before it.
    if (family_type == "histogram")
      BOOST_TEST((s.name == family + "_bucket" || s.name == family + "_sum" ||
                  s.name == family + "_count"),
                 s.name << " outside its family " << family);
    else
      BOOST_TEST(s.name == family, s.name << " outside its family " << family);
    out.push_back(std::move(s));
  }
  return out;
}

std::string find(const std::vector<Sample>& all, const std::string& name,
                 const std::map<std::string, std::string>& labels) {
  for (const auto& s : all) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : labels)
      if (!s.labels.count(k) || s.labels.at(k) != v) ok = false;
    if (ok) return s.value;
  }
  return "<absent>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prefork_metrics)

BOOST_AUTO_TEST_CASE(values_and_labels_are_formatted_for_prometheus) {
  BOOST_TEST(format_value(0.0005) == "0.0005");
  BOOST_TEST(format_value(1.0) == "1");
  BOOST_TEST(format_value(2.5) == "2.5");
  BOOST_TEST(format_value(12.5) == "12.5");
  BOOST_TEST(format_value(1.0 / 0.0) == "+Inf");
  BOOST_TEST(escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

BOOST_AUTO_TEST_CASE(pool_metrics_are_valid_exposition_text) {
  const std::string text = render_pool_metrics(sample_global(), sample_slots(), sample_routes());
  const auto samples = parse_exposition(text);

  BOOST_TEST(find(samples, "ezapi_up", {}) == "1");
  BOOST_TEST(find(samples, "ezapi_workers", {{"state", "idle"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_workers", {{"state", "busy"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_workers", {{"state", "stopping"}}) == "0");
  BOOST_TEST(find(samples, "ezapi_workers_configured", {}) == "2");
  BOOST_TEST(find(samples, "ezapi_worker_restarts_total", {{"reason", "crash"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_worker_restarts_total", {{"reason", "recycle"}}) == "3");
  BOOST_TEST(find(samples, "ezapi_http_requests_total",
                  {{"route", "/providers/{id}"}, {"status", "200"}}) == "5");
  BOOST_TEST(find(samples, "ezapi_http_requests_total",
                  {{"route", "/providers/{id}"}, {"status", "404"}}) == "1");
  // Zero counters of a route are left out rather than listed for every status.
  BOOST_TEST(find(samples, "ezapi_http_requests_total",
                  {{"route", "/providers/{id}"}, {"status", "500"}}) == "<absent>");
  // Escaped label values survive the round trip.
  BOOST_TEST(find(samples, "ezapi_http_requests_total", {{"status", "other"}}) == "1");
  BOOST_TEST(text.find(R"(route="/we\"ird\\path\n")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_and_end_at_inf) {
  const std::string text = render_pool_metrics(sample_global(), {}, sample_routes());
  const auto samples = parse_exposition(text);
  std::vector<std::pair<std::string, uint64_t>> buckets;
  for (const auto& s : samples)
    if (s.name == "ezapi_http_request_duration_seconds_bucket" &&
        s.labels.at("route") == "/providers/{id}")
      buckets.emplace_back(s.labels.at("le"), std::stoull(s.value));
  BOOST_REQUIRE(buckets.size() == static_cast<size_t>(kLatencySlots));
  for (size_t i = 1; i < buckets.size(); ++i)
    BOOST_TEST(buckets[i].second >= buckets[i - 1].second);
  BOOST_TEST(buckets.front().first == "0.0005");
  BOOST_TEST(buckets.front().second == 2u);
  BOOST_TEST(buckets[3].second == 5u);  // 2 + 3
  BOOST_TEST(buckets.back().first == "+Inf");
  BOOST_TEST(buckets.back().second == 6u);
  BOOST_TEST(find(samples, "ezapi_http_request_duration_seconds_count",
                  {{"route", "/providers/{id}"}}) == "6");
  BOOST_TEST(find(samples, "ezapi_http_request_duration_seconds_sum",
                  {{"route", "/providers/{id}"}}) == "12.5");
}

BOOST_AUTO_TEST_CASE(empty_pool_still_renders) {
  const auto samples = parse_exposition(render_pool_metrics(GlobalView{}, {}, {}));
  BOOST_TEST(find(samples, "ezapi_up", {}) == "1");
  BOOST_TEST(find(samples, "ezapi_workers", {{"state", "idle"}}) == "0");
}

BOOST_AUTO_TEST_CASE(no_log_queue_appends_nothing) {
  std::string out = "x";
  ez::logq::append_logq_metrics(nullptr, out);
  BOOST_TEST(out == "x");
}

BOOST_AUTO_TEST_CASE(status_document_like_php_fpm) {
  const uint64_t now = 10'000'000'000ULL;  // 10 s monotonic
  const Json::Value doc = render_status(sample_global(), sample_slots(), now);
  BOOST_TEST(doc["master_pid"].asInt() == 100);
  BOOST_TEST(doc["start_time"].asInt64() == 1'700'000'000);
  BOOST_TEST(doc["start_since"].asInt() == 9);
  BOOST_TEST(doc["workers_configured"].asInt() == 2);
  BOOST_TEST(doc["accepted_total"].asUInt64() == 42u);
  BOOST_TEST(doc["restarts_total"].asUInt64() == 6u);
  BOOST_TEST(doc["restarts"]["timeout"].asUInt64() == 2u);
  BOOST_TEST(doc["workers_idle"].asInt() == 1);
  BOOST_TEST(doc["workers_busy"].asInt() == 1);
  BOOST_REQUIRE(doc["workers"].size() == 2u);
  const Json::Value& idle = doc["workers"][0];
  BOOST_TEST(idle["pid"].asInt() == 101);
  BOOST_TEST(idle["state"].asString() == "idle");
  BOOST_TEST(idle["requests"].asUInt64() == 40u);
  BOOST_TEST(idle["uptime_ms"].asInt64() == 8000);
  BOOST_TEST(idle["request_age_ms"].isNull());
  const Json::Value& busy = doc["workers"][1];
  BOOST_TEST(busy["state"].asString() == "busy");
  BOOST_TEST(busy["route"].asString() == "/providers/{id}");
  BOOST_TEST(busy["request_age_ms"].asInt64() == 1000);
}

BOOST_AUTO_TEST_CASE(pools_have_their_own_families_and_status_entries) {
  GlobalView g = sample_global();
  g.workers_configured = 3;
  g.pools[static_cast<size_t>(Pool::admin)].workers_configured = 2;
  g.pools[static_cast<size_t>(Pool::ingest)].workers_configured = 1;
  g.pools[static_cast<size_t>(Pool::ingest)].request_timeout_ms = 10000;
  g.pools[static_cast<size_t>(Pool::ingest)].restarts = {4, 0, 1};
  auto slots = sample_slots();  // admin: one idle, one busy
  SlotView ing = slots[0];
  ing.index = 2;
  ing.pid = 103;
  ing.pool = Pool::ingest;
  ing.state = WorkerState::busy;
  ing.route = "/logs";
  slots.push_back(ing);

  const auto samples = parse_exposition(render_pool_metrics(g, slots, sample_routes()));
  BOOST_TEST(find(samples, "ezapi_pool_workers_configured", {{"pool", "admin"}}) == "2");
  BOOST_TEST(find(samples, "ezapi_pool_workers_configured", {{"pool", "ingest"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_pool_workers", {{"pool", "admin"}, {"state", "busy"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_pool_workers", {{"pool", "ingest"}, {"state", "busy"}}) == "1");
  BOOST_TEST(find(samples, "ezapi_pool_workers", {{"pool", "ingest"}, {"state", "idle"}}) == "0");
  BOOST_TEST(find(samples, "ezapi_pool_worker_restarts_total",
                  {{"pool", "ingest"}, {"reason", "crash"}}) == "4");
  BOOST_TEST(find(samples, "ezapi_pool_worker_restarts_total",
                  {{"pool", "admin"}, {"reason", "crash"}}) == "0");
  BOOST_TEST(find(samples, "ezapi_workers", {{"state", "busy"}}) == "2");  // totals unchanged

  const Json::Value doc = render_status(g, slots, 10'000'000'000ULL);
  BOOST_TEST(doc["pools"]["admin"]["workers_configured"].asInt() == 2);
  BOOST_TEST(doc["pools"]["ingest"]["workers_configured"].asInt() == 1);
  BOOST_TEST(doc["pools"]["ingest"]["request_timeout_ms"].asInt() == 10000);
  BOOST_TEST(doc["pools"]["ingest"]["restarts_total"].asUInt64() == 5u);
  BOOST_TEST(doc["pools"]["ingest"]["workers_busy"].asInt() == 1);
  BOOST_TEST(doc["pools"]["admin"]["workers_idle"].asInt() == 1);
  BOOST_TEST(doc["workers"][2]["pool"].asString() == "ingest");
  BOOST_TEST(doc["workers"][0]["pool"].asString() == "admin");
}

// ezapi_sync_last_push_age_seconds: from the last time a process made Redis current,
// from the master's start before that.
BOOST_AUTO_TEST_CASE(push_age_counts_from_the_last_push_or_the_start) {
  GlobalView g = sample_global();  // started at monotonic 1 s
  BOOST_TEST(redis_push_age_ns(g, 11'000'000'000ULL) == 10'000'000'000ULL);
  g.redis_current_mono_ns = 9'000'000'000ULL;
  BOOST_TEST(redis_push_age_ns(g, 11'000'000'000ULL) == 2'000'000'000ULL);
  BOOST_TEST(redis_push_age_ns(g, 8'000'000'000ULL) == 0u);  // never negative
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(prefork_metrics_ops)

BOOST_AUTO_TEST_CASE(ops_families_render_counters_backlog_and_build) {
  GlobalView g = sample_global();
  g.redis_push_failures = 7;
  g.resyncs = 2;
  g.resync_ns_sum = 3'500'000'000ULL;
  g.resync_last_ns = 1'250'000'000ULL;
  g.reload_failures = 1;
  ez::snapshot::OutboxBacklog b;
  b.rows = 12;
  b.oldest_age_seconds = 4.5;
  std::string out;
  // As GET /metrics composes them: each layer appends its own families.
  append_counter_metrics(g, out);
  ez::snapshot::append_outbox_metrics(b, out);
  ez::build::append_build_info_metrics(out);
  for (const char* line : {
           "ezapi_outbox_pending_rows 12\n",
           "ezapi_outbox_oldest_age_seconds 4.5\n",
           "ezapi_redis_push_failures_total 7\n",
           "ezapi_resyncs_total 2\n",
           "ezapi_resync_duration_seconds_sum 3.5\n",
           "ezapi_resync_duration_seconds_count 2\n",
           "ezapi_resync_last_duration_seconds 1.25\n",
           "ezapi_config_reload_failures_total 1\n",
           "# TYPE ezapi_resync_duration_seconds summary\n",
       })
    BOOST_TEST(out.find(line) != std::string::npos, line);
  BOOST_TEST(
      std::regex_search(out, std::regex("\nezapi_build_info\\{version=\"[0-9]+\\.[0-9]+\\.[0-9]+\","
                                        "commit=\"([0-9a-f]{7,}|unknown)\"\\} 1\n")));
}

// ezapi_sync_last_push_age_seconds: from the last time a process made Redis current,
// from the master's start before that.
BOOST_AUTO_TEST_CASE(push_age_counts_from_the_last_push_or_the_start) {
  GlobalView g = sample_global();  // started at monotonic 1 s
  BOOST_TEST(redis_push_age_ns(g, 11'000'000'000ULL) == 10'000'000'000ULL);
  g.redis_current_mono_ns = 9'000'000'000ULL;
  BOOST_TEST(redis_push_age_ns(g, 11'000'000'000ULL) == 2'000'000'000ULL);
  BOOST_TEST(redis_push_age_ns(g, 8'000'000'000ULL) == 0u);  // never negative
}

BOOST_AUTO_TEST_SUITE_END()
