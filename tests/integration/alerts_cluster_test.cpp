// The Redis-convergence alert in a real Prometheus: scripts/cluster brings up two hosts, a
// Redis master and replica behind three Sentinels, and a Prometheus scraping both hosts
// with conf/prometheus/ezapi.rules.yml loaded. Stopping both Redis servers (one alone would
// be replaced by the Sentinels within a second) for longer than the rule's `for:` makes
// EZAPIRedisNotConverging fire, `scripts/cluster status` shows it, and it resolves once
// Redis is back.
//
// Short and deterministic without weakening the shipped rules: Prometheus scrapes and
// evaluates every second (EZ_CLUSTER_PROM_INTERVAL), the cluster's copy of the rules has
// `for: 3s` (EZ_CLUSTER_PROM_FOR; the expressions are the shipped ones), and the hosts
// call the sync degraded after 2 s (sync.degraded_after_s). The waits are polls with wide
// bounds; nothing is timed.
#define BOOST_TEST_MODULE alerts_cluster
#include <json/reader.h>
#include <json/value.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "support/stack.h"

using ez::it::describe;
using ez::it::http_at;
using namespace std::chrono_literals;

namespace {

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Eleven consecutive free loopback ports (scripts/cluster uses base .. base+10), in another
// stretch than cluster_test's so the two binaries never pick the same one.
int free_port_range() {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(std::time(nullptr)));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 13000 + static_cast<int>(rng() % 600) * 11;
    bool all = true;
    for (int p = base; p < base + 11 && all; ++p) all = port_free(p);
    if (all) return base;
  }
  throw std::runtime_error("no range of 11 free ports");
}

std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    out[line.substr(0, eq)] = v;
  }
  return out;
}

Json::Value parse_json(const std::string& text) {
  Json::Value v;
  Json::CharReaderBuilder b;
  std::string errs;
  std::istringstream in(text);
  if (!Json::parseFromStream(b, in, &v, &errs)) return Json::Value();
  return v;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

class Cluster {
 public:
  Cluster() {
    char tmpl[] = "/tmp/ezapi-alerts-cluster-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    base = free_port_range();
    ::setenv("EZ_BUILD_DIR", EZ_BUILD_DIR, 1);
    ::setenv("EZ_CLUSTER_PG_FSYNC", "off", 0);
    ::setenv("EZ_CLUSTER_PROM_INTERVAL", "1s", 1);
    ::setenv("EZ_CLUSTER_PROM_FOR", "3s", 1);
    ::setenv("EZ_SYNC_DEGRADED_AFTER_S", "2", 1);  // sync.degraded_after_s of both hosts
    if (run("up") != 0) {
      std::system(("tail -n 20 " + dir + "/log/*.log " + dir + "/hosts/*/log/*.log >&2").c_str());
      cleanup();
      throw std::runtime_error("scripts/cluster up failed in " + dir);
    }
    env = read_env_file(dir + "/cluster.env");
    const std::string url = env["EZ_PROMETHEUS_URL"];
    prometheus = url.empty() ? 0 : std::atoi(url.substr(url.rfind(':') + 1).c_str());
  }
  ~Cluster() { cleanup(); }

  void cleanup() {
    (void)run("down");
    if (!std::getenv("EZ_KEEP_STACK")) {
      (void)std::system(
          ("rm -f /dev/shm/ezc-$(printf '%s' '" + dir + "' | md5sum | cut -c1-8)-[ab]-*").c_str());
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }

  [[nodiscard]] std::string command(const std::string& args) const {
    return "EZ_CLUSTER_DIR='" + dir + "' EZ_CLUSTER_PORT=" + std::to_string(base) + " '" +
           EZ_SOURCE_DIR + "/scripts/cluster' " + args;
  }
  int run(const std::string& args) const {
    const int rc = std::system(command(args).c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  }
  // `scripts/cluster status`: its output (its exit code is not ours to judge here).
  [[nodiscard]] std::string status() const {
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen((command("status") + " 2>&1").c_str(), "r"),
                                            ::pclose);
    std::string out;
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  }

  // Prometheus' HTTP API through curl, as `scripts/cluster status` asks it.
  [[nodiscard]] Json::Value prom(const std::string& path) const {
    const std::string cmd =
        "curl -fsS --max-time 5 'http://127.0.0.1:" + std::to_string(prometheus) + path + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    std::string out;
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p.get())) out += buf;
    return parse_json(out);
  }
  // The state of `alertname` in Prometheus ("firing", "pending"), "" when not active.
  [[nodiscard]] std::string alert_state(const std::string& alertname) const {
    const Json::Value a = prom("/api/v1/alerts");
    for (const auto& x : a["data"]["alerts"])
      if (x["labels"]["alertname"].asString() == alertname) return x["state"].asString();
    return "";
  }
  [[nodiscard]] int targets_up() const {
    int n = 0;
    for (const auto& t : prom("/api/v1/targets")["data"]["activeTargets"])
      if (t["labels"]["job"].asString() == "ezapi" && t["health"].asString() == "up") ++n;
    return n;
  }

  std::string dir;
  int base = 0, prometheus = 0;
  std::map<std::string, std::string> env;
};

std::string provider_body(const std::string& name) {
  return R"({"name":")" + name +
         R"(","type":"openai","base_url":"https://api.example.com/v1","api_key":"sk-c",)"
         R"("group":"alerts","models":["gpt-4o"]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(alerts_cluster)

BOOST_AUTO_TEST_CASE(stopping_both_redis_fires_the_convergence_alert_until_redis_returns) {
  Cluster c;
  BOOST_REQUIRE_MESSAGE(c.prometheus > 0,
                        "scripts/cluster started no Prometheus: is the prometheus package "
                        "installed (scripts/deps)?");
  // Both hosts scraped, the rules loaded, nothing firing about Redis.
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return c.targets_up() == 2; }, 60s),
                        "Prometheus on port " << c.prometheus << " does not scrape both hosts: "
                                              << c.prom("/api/v1/targets").toStyledString());
  BOOST_REQUIRE(
      wait_until([&] { return !c.prom("/api/v1/rules")["data"]["groups"].empty(); }, 30s));
  BOOST_TEST(c.alert_state("EZAPIRedisNotConverging") == "");

  BOOST_REQUIRE(c.run("stop redis") == 0);
  // A change made meanwhile commits in PostgreSQL and waits in the outbox.
  const int host_a = c.base + 1;
  const auto created = http_at(host_a, "POST", "/providers", c.env.at("EZ_ADMIN_TOKEN"),
                               provider_body(ez::it::unique("alerts")), {}, 20);
  BOOST_TEST(created.status == 201, describe(created));

  BOOST_TEST(wait_until([&] { return c.alert_state("EZAPIRedisNotConverging") == "firing"; }, 90s),
             "EZAPIRedisNotConverging did not fire with both Redis servers stopped");
  const std::string status = c.status();
  BOOST_TEST(status.find("alert EZAPIRedisNotConverging (critical): firing") != std::string::npos,
             "scripts/cluster status does not show the firing alert:\n"
                 << status);

  BOOST_REQUIRE(c.run("up") == 0);  // restarts both Redis servers
  BOOST_TEST(wait_until([&] { return c.alert_state("EZAPIRedisNotConverging") == ""; }, 90s),
             "EZAPIRedisNotConverging did not resolve after Redis came back");
  BOOST_TEST(c.status().find("EZAPIRedisNotConverging") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
