// The shipped monitoring against a running control plane: every metric that an alert rule
// (conf/prometheus/ezapi.rules.yml) or a dashboard query (conf/grafana/ezapi-dashboard.json)
// names is on /metrics, so a renamed metric breaks the build, not the pager; the gauges the
// rules added (PostgreSQL and Redis reachability, the oldest unlanded log entry) follow
// what they describe; the dashboard's SQL panels run against the schema.
#define BOOST_TEST_MODULE alerts
#include <json/reader.h>
#include <json/value.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::stack;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The ezapi_* metric names in PromQL text: whole identifiers, not the middle of a recording
// rule's name (job:ezapi_http_5xx:ratio_rate5m names no metric of ours).
std::set<std::string> metric_names_in(const std::string& text) {
  std::set<std::string> out;
  for (size_t at = text.find("ezapi_"); at != std::string::npos; at = text.find("ezapi_", at + 1)) {
    if (at > 0 && (name_char(text[at - 1]) || text[at - 1] == ':')) continue;
    size_t end = at;
    while (end < text.size() && name_char(text[end])) ++end;
    if (end < text.size() && text[end] == ':') continue;
    out.insert(text.substr(at, end - at));
  }
  return out;
}

// What /metrics exposes: every family (# TYPE) and sample name; a histogram's or summary's
// family also stands for its _bucket, _sum and _count series.
std::set<std::string> exposed(const std::string& body) {
  std::set<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      out.insert(name);
      if (type == "histogram" || type == "summary")
        for (const char* suffix : {"_bucket", "_sum", "_count"}) out.insert(name + suffix);
    } else if (!line.empty() && line[0] != '#') {
      size_t end = 0;
      while (end < line.size() && name_char(line[end])) ++end;
      out.insert(line.substr(0, end));
    }
  }
  return out;
}

Json::Value parse_json(const std::string& text) {
  Json::Value v;
  Json::CharReaderBuilder b;
  std::string errs;
  std::istringstream in(text);
  BOOST_REQUIRE_MESSAGE(Json::parseFromStream(b, in, &v, &errs), errs);
  return v;
}

// The dashboard's panels, nested rows included.
void collect_targets(const Json::Value& panels, std::vector<Json::Value>& out) {
  for (const auto& p : panels) {
    collect_targets(p["panels"], out);
    for (const auto& t : p["targets"]) out.push_back(t);
  }
}

std::string metrics_body() {
  const auto r = stack().http("GET", "/metrics", {}, Auth::none);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  return r.body;
}

// The value of an unlabelled sample on /metrics; NaN when absent.
double sample(const std::string& body, const std::string& name) {
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return std::nan("");
}

double scrape(const std::string& name) {
  return sample(metrics_body(), name);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(alerts)

BOOST_AUTO_TEST_CASE(every_metric_the_rules_and_the_dashboard_name_is_exposed) {
  const std::string src = EZ_SOURCE_DIR;
  // The rules' expressions (their comments may mention families loosely).
  std::set<std::string> wanted_by_rules;
  const YAML::Node rules = YAML::LoadFile(src + "/conf/prometheus/ezapi.rules.yml");
  for (const auto& group : rules["groups"])
    for (const auto& rule : group["rules"])
      for (const auto& n : metric_names_in(rule["expr"].as<std::string>()))
        wanted_by_rules.insert(n);
  std::set<std::string> wanted_by_dashboard;
  const Json::Value dash = parse_json(read_file(src + "/conf/grafana/ezapi-dashboard.json"));
  std::vector<Json::Value> targets;
  collect_targets(dash["panels"], targets);
  for (const auto& t : targets)
    if (t.isMember("expr"))
      for (const auto& n : metric_names_in(t["expr"].asString())) wanted_by_dashboard.insert(n);
  // Sanity: the extraction found the rules' and the dashboard's core metrics.
  BOOST_TEST(wanted_by_rules.count("ezapi_logq_oldest_unlanded_age_seconds") == 1u);
  BOOST_TEST(wanted_by_dashboard.count("ezapi_http_request_duration_seconds_bucket") == 1u);

  // Traffic first, so every family has had a reason to appear.
  auto& s = stack();
  BOOST_TEST(s.http("GET", "/providers").status == 200);
  BOOST_TEST(s.http("POST", "/logs", R"({"request_id":"alerts-1","model":"m","status_code":200})",
                    Auth::internal, {{"Content-Type", "application/json"}})
                 .status == 202);
  const std::set<std::string> have = exposed(metrics_body());
  for (const auto& n : wanted_by_rules)
    BOOST_CHECK_MESSAGE(have.count(n),
                        "ezapi.rules.yml names " << n << ", which /metrics does not expose");
  for (const auto& n : wanted_by_dashboard)
    BOOST_CHECK_MESSAGE(have.count(n),
                        "ezapi-dashboard.json names " << n << ", which /metrics does not expose");
}

BOOST_AUTO_TEST_CASE(reachability_gauges_follow_redis_and_postgres) {
  auto& s = stack();
  BOOST_TEST(scrape("ezapi_postgres_up") == 1.0);
  BOOST_TEST(scrape("ezapi_redis_up") == 1.0);

  s.stop("redis");
  BOOST_TEST(s.wait_until([] { return scrape("ezapi_redis_up") == 0.0; }, 15000));
  BOOST_TEST(scrape("ezapi_postgres_up") == 1.0);
  BOOST_REQUIRE(s.stack_cmd("up") == 0);
  BOOST_TEST(s.wait_until([] { return scrape("ezapi_redis_up") == 1.0; }, 15000));

  s.stop("postgres");
  BOOST_TEST(s.wait_until([] { return scrape("ezapi_postgres_up") == 0.0; }, 15000));
  BOOST_TEST(scrape("ezapi_redis_up") == 1.0);
  BOOST_REQUIRE(s.stack_cmd("up") == 0);
  BOOST_TEST(s.wait_until([] { return scrape("ezapi_postgres_up") == 1.0; }, 30000));
}

// A hung flusher (stopped with SIGSTOP) leaves the entries in the queue: the age of the
// oldest one grows, although the queue is nearly empty and nothing else looks wrong; once
// the flusher runs again and lands them, the age is back to 0.
BOOST_AUTO_TEST_CASE(oldest_unlanded_age_grows_while_the_flusher_hangs_and_clears_when_it_lands) {
  auto& s = stack();
  // Nothing waits: 0.
  BOOST_TEST(
      s.wait_until([] { return scrape("ezapi_logq_oldest_unlanded_age_seconds") == 0.0; }, 15000));
  const auto status = s.http("GET", "/admin/status");
  BOOST_REQUIRE_MESSAGE(status.status == 200, describe(status));
  const auto pid = static_cast<pid_t>(status.json()["log_queue"]["flusher"]["pid"].asInt64());
  BOOST_REQUIRE(pid > 0);
  BOOST_REQUIRE(::kill(pid, SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{pid};

  BOOST_TEST(s.http("POST", "/logs",
                    R"({"request_id":"alerts-hung","model":"m","status_code":200})", Auth::internal,
                    {{"Content-Type", "application/json"}})
                 .status == 202);
  BOOST_TEST(
      s.wait_until([] { return scrape("ezapi_logq_oldest_unlanded_age_seconds") >= 2.0; }, 20000));
  BOOST_TEST(scrape("ezapi_logq_lag_entries") >= 1.0);

  ::kill(pid, SIGCONT);
  BOOST_TEST(
      s.wait_until([] { return scrape("ezapi_logq_oldest_unlanded_age_seconds") == 0.0; }, 20000));
  BOOST_TEST(scrape("ezapi_logq_lag_entries") == 0.0);
}

BOOST_AUTO_TEST_CASE(the_dashboards_sql_panels_run_against_the_schema) {
  auto& s = stack();
  const Json::Value dash =
      parse_json(read_file(std::string(EZ_SOURCE_DIR) + "/conf/grafana/ezapi-dashboard.json"));
  std::vector<Json::Value> targets;
  collect_targets(dash["panels"], targets);
  int queries = 0;
  for (const auto& t : targets) {
    if (!t.isMember("rawSql")) continue;
    std::string sql = t["rawSql"].asString();
    // Grafana's macro for the panel's time range, as it expands it.
    const std::string macro = "$__timeFilter(";
    for (size_t at = sql.find(macro); at != std::string::npos; at = sql.find(macro)) {
      const size_t close = sql.find(')', at);
      const std::string column = sql.substr(at + macro.size(), close - at - macro.size());
      sql.replace(at, close + 1 - at, column + " BETWEEN now() - interval '7 days' AND now()");
    }
    BOOST_CHECK_NO_THROW((void)s.sql(sql));
    ++queries;
  }
  BOOST_TEST(queries >= 1);
}

BOOST_AUTO_TEST_SUITE_END()
