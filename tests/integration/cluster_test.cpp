// Several hosts on scripts/cluster: two control-plane hosts behind
// a front nginx, PostgreSQL with a streaming replica, Redis with a replica and
// three Sentinels. Writes through one host are read through the other, and a
// steady stream of admin writes and POST /logs survives a PostgreSQL failover,
// a Redis failover and a killed host: nothing answered 2xx is lost, no log
// entry is written twice, no answer is a 500, and each fault's unavailability
// window is printed (and stays under the issue's 10 s).
#define BOOST_TEST_MODULE cluster
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "config/config.h"
#include "context/context.h"
#include "db/pg.h"
#include "support/stack.h"

using ez::it::http_at;
using ez::it::HttpResult;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

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

// Ten consecutive free loopback ports (scripts/cluster uses base .. base+9).
int free_port_range() {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(std::time(nullptr)));
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Below the kernel's ephemeral range (32768+), where the other tests'
    // kernel-chosen ports and outgoing connections land.
    const int base = 20000 + static_cast<int>(rng() % 1270) * 10;
    bool all = true;
    for (int p = base; p < base + 10 && all; ++p) all = port_free(p);
    if (all) return base;
  }
  throw std::runtime_error("no range of 10 free ports");
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

class Cluster {
 public:
  Cluster() {
    char tmpl[] = "/tmp/ezapi-cluster-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    base = free_port_range();
    ::setenv("EZ_CLUSTER_DIR", dir.c_str(), 1);
    ::setenv("EZ_CLUSTER_PORT", std::to_string(base).c_str(), 1);
    ::setenv("EZ_BUILD_DIR", EZ_BUILD_DIR, 1);
    ::setenv("EZ_CLUSTER_PG_FSYNC", "off", 0);  // tests need no power-loss durability
    if (run("up") != 0) {
      std::system(("tail -n 20 " + dir + "/log/*.log " + dir + "/hosts/*/log/*.log >&2").c_str());
      (void)run("down");
      if (!std::getenv("EZ_KEEP_STACK")) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
      throw std::runtime_error("scripts/cluster up failed in " + dir);
    }
    env = read_env_file(dir + "/cluster.env");
    front = base;
    host_a = base + 1;
    host_b = base + 2;
  }
  ~Cluster() {
    (void)run("down");
    if (!std::getenv("EZ_KEEP_STACK")) {
      // The hosts' log queues outlive `down` by design (queued entries wait
      // for the next start); this cluster will not start again.
      (void)std::system(
          ("rm -f /dev/shm/ezc-$(printf '%s' '" + dir + "' | md5sum | cut -c1-8)-[ab]-*").c_str());
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }

  int run(const std::string& args) const {
    const std::string cmd = "EZ_CLUSTER_DIR='" + dir + "' EZ_CLUSTER_PORT=" + std::to_string(base) +
                            " '" + EZ_SOURCE_DIR + "/scripts/cluster' " + args;
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  }

  HttpResult admin(int port, const std::string& method, const std::string& path,
                   const std::string& body = {}) const {
    return http_at(port, method, path, env.at("EZ_ADMIN_TOKEN"), body, {}, 20);
  }

  // Through libpq's failover DSN: whichever node is the primary now.
  std::vector<std::vector<std::string>> sql(const std::string& query) const {
    pqxx::connection c(env.at("EZ_PG_DSN"));
    pqxx::nontransaction tx(c);
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : tx.exec(query)) {
      std::vector<std::string> cells;
      for (const auto& f : row) cells.push_back(f.is_null() ? "" : f.c_str());
      rows.push_back(std::move(cells));
    }
    return rows;
  }

  // HEXISTS on the master the Sentinels name now.
  bool redis_has(const std::string& key, const std::string& field) const {
    const int port = redis_master_port();
    if (!port) return false;
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", port),
                                                             redisFree);
    if (!c || c->err) return false;
    std::unique_ptr<redisReply, void (*)(void*)> r(
        static_cast<redisReply*>(
            redisCommand(c.get(), "HEXISTS %s %s", key.c_str(), field.c_str())),
        freeReplyObject);
    return r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
  }

  // meta:snapshot version on the master now (0 when unreadable).
  int64_t redis_version() const {
    const int port = redis_master_port();
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", port),
                                                             redisFree);
    if (!port || !c || c->err) return 0;
    std::unique_ptr<redisReply, void (*)(void*)> r(
        static_cast<redisReply*>(redisCommand(c.get(), "HGET meta:snapshot version")),
        freeReplyObject);
    return r && r->type == REDIS_REPLY_STRING ? std::atoll(r->str) : 0;
  }

  int redis_master_port() const {
    std::stringstream list(env.at("EZ_REDIS_SENTINELS"));
    for (std::string hp; std::getline(list, hp, ',');) {
      const int port = std::atoi(hp.substr(hp.rfind(':') + 1).c_str());
      std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", port),
                                                               redisFree);
      if (!c || c->err) continue;
      std::unique_ptr<redisReply, void (*)(void*)> r(
          static_cast<redisReply*>(redisCommand(c.get(), "SENTINEL get-master-addr-by-name %s",
                                                env.at("EZ_REDIS_MASTER_NAME").c_str())),
          freeReplyObject);
      if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
        return std::atoi(r->element[1]->str);
    }
    return 0;
  }

  std::string dir;
  int base = 0, front = 0, host_a = 0, host_b = 0;
  std::map<std::string, std::string> env;
};

Cluster& cluster() {
  static std::unique_ptr<Cluster> c;
  static std::string failure;
  if (!c && failure.empty()) {
    try {
      c = std::make_unique<Cluster>();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!c) throw std::runtime_error("cluster unavailable: " + failure);
  return *c;
}

std::string provider_body(const std::string& name) {
  return R"({"name":")" + name +
         R"(","type":"openai","base_url":"https://api.example.com/v1","api_key":"sk-c",)"
         R"("group":"cluster","models":["gpt-4o"]})";
}

std::string log_entry(const std::string& id) {
  return R"({"request_id":")" + id + R"(","model":"m","status_code":200,"prompt_tokens":3})";
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

double seconds_since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

// What the load saw: every answer, and what was acknowledged.
struct Load {
  std::mutex mu;
  std::map<int, int> statuses;                             // HTTP status (0 = no answer) -> count
  std::vector<std::pair<Clock::time_point, bool>> writes;  // answer time, 2xx
  std::vector<std::pair<Clock::time_point, bool>> posts;   // POST /logs: answer time, 202
  std::vector<int64_t> providers;                          // ids answered 201
  std::vector<std::string> logs;                           // request ids answered 202
  std::atomic<bool> stop{false};
};

void write_loop(Load& load, int port) {
  const std::string prefix = "clu-p-" + std::to_string(::getpid()) + "-";
  for (int i = 0; !load.stop; ++i) {
    int status = 0;
    int64_t id = 0;
    try {
      const auto r =
          cluster().admin(port, "POST", "/providers", provider_body(prefix + std::to_string(i)));
      status = r.status;
      if (status == 201) id = r.json()["id"].asInt64();
    } catch (const std::exception&) {
      status = 0;  // connection refused / reset: no answer
    }
    {
      std::lock_guard<std::mutex> lock(load.mu);
      ++load.statuses[status];
      load.writes.emplace_back(Clock::now(), status / 100 == 2);
      if (id) load.providers.push_back(id);
    }
    std::this_thread::sleep_for(20ms);
  }
}

void log_loop(Load& load, int port) {
  const std::string prefix = "clu-l-" + std::to_string(::getpid()) + "-";
  for (int i = 0; !load.stop; ++i) {
    const std::string id = prefix + std::to_string(i);
    int status = 0;
    try {
      status = http_at(port, "POST", "/logs", cluster().env.at("EZ_INTERNAL_TOKEN"), log_entry(id),
                       {}, 20)
                   .status;
    } catch (const std::exception&) {
      status = 0;
    }
    {
      std::lock_guard<std::mutex> lock(load.mu);
      ++load.statuses[status];
      if (status == 202) load.logs.push_back(id);
      load.posts.emplace_back(Clock::now(), status == 202);
    }
    std::this_thread::sleep_for(10ms);
  }
}

// The longest stretch without a successful write while a fault was under way:
// the largest gap between consecutive successful answers from the fault's start
// to the first success after its command returned and the writes resumed.
double unavailability(const std::vector<std::pair<Clock::time_point, bool>>& answers,
                      Clock::time_point from, Clock::time_point to) {
  double worst = 0;
  Clock::time_point prev = from;
  bool after_to = false;
  for (const auto& [t, ok] : answers) {
    if (!ok || t < from) continue;
    worst = std::max(worst, seconds_since(prev, t));
    prev = t;
    if (t > to) {
      after_to = true;
      break;
    }
  }
  return after_to ? worst : 1e9;  // never resumed
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_suite)

BOOST_AUTO_TEST_CASE(writes_through_a_are_read_through_b_and_reach_redis) {
  auto& c = cluster();
  const auto created = c.admin(c.host_a, "POST", "/providers", provider_body(ez::it::unique("ab")));
  BOOST_REQUIRE_MESSAGE(created.status == 201, ez::it::describe(created));
  const std::string id = std::to_string(created.json()["id"].asInt64());
  // At once: both hosts share the primary.
  const auto read = c.admin(c.host_b, "GET", "/providers/" + id);
  BOOST_TEST(read.status == 200, ez::it::describe(read));
  BOOST_TEST(read.json()["name"].asString() == created.json()["name"].asString());
  BOOST_TEST(wait_until([&] { return c.redis_has("config:providers", id); }, 5s));
}

// Several hosts starting at once all run `ezapi-ctl migrate`: the advisory
// lock makes all but one wait, then find nothing to do. Both hosts did so when
// the cluster came up; here four more race on a fresh database.
BOOST_AUTO_TEST_CASE(hosts_migrating_at_once_apply_each_migration_once) {
  auto& c = cluster();
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(EZ_SOURCE_DIR) + "/sql"))
    files += e.path().extension() == ".sql";
  auto check = [&](const std::string& dsn) {
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1("SELECT count(*), count(DISTINCT name) FROM schema_migrations");
    BOOST_TEST(row[0].as<size_t>() == files);
    BOOST_TEST(row[1].as<size_t>() == files);
  };
  check(c.env.at("EZ_PG_DSN"));

  (void)c.sql("CREATE DATABASE ezapi_race");
  std::string dsn = c.env.at("EZ_PG_DSN");
  dsn.replace(dsn.find("dbname=ezapi"), 12, "dbname=ezapi_race");
  const std::string script = c.dir + "/migrate_race.sh";
  std::ofstream(script) << "pids=\n"
                           "for i in 1 2 3 4; do\n"
                           "  EZ_PG_DSN=\"$1\" \"$2\" migrate >/dev/null 2>&1 & pids=\"$pids $!\"\n"
                           "done\n"
                           "rc=0; for p in $pids; do wait \"$p\" || rc=1; done; exit $rc\n";
  const int rc =
      std::system(("bash '" + script + "' '" + dsn + "' '" + EZ_BUILD_DIR + "/ezapi-ctl'").c_str());
  BOOST_TEST(rc == 0, "every concurrent ezapi-ctl migrate succeeds");
  check(dsn);
}

// postgres.read_dsn: the cluster points it at the standby; an unreachable
// one falls back to the primary.
BOOST_AUTO_TEST_CASE(reads_go_to_the_replica_and_fall_back_to_the_primary) {
  auto& c = cluster();
  ez::config::Settings s;
  s.pg_dsn = c.env.at("EZ_PG_DSN");
  s.pg_read_dsn = c.env.at("EZ_PG_READ_DSN");
  ez::context::Context with_replica(s);
  ez::db::Pg& read = with_replica.pg_read();
  BOOST_TEST(&read != &with_replica.pg());
  {
    pqxx::nontransaction tx(read.conn());
    BOOST_TEST(tx.exec1("SELECT pg_is_in_recovery()")[0].as<bool>());
  }
  s.pg_read_dsn = "host=127.0.0.1 port=1 dbname=ezapi user=ezapi";  // nothing listens there
  ez::context::Context replica_down(s);
  ez::db::Pg& fallback = replica_down.pg_read();
  BOOST_TEST(&fallback == &replica_down.pg());
  pqxx::nontransaction tx(fallback.conn());
  BOOST_TEST(!tx.exec1("SELECT pg_is_in_recovery()")[0].as<bool>());
}

BOOST_AUTO_TEST_CASE(failovers_under_load_lose_nothing) {
  auto& c = cluster();
  Load load;
  std::vector<std::thread> threads;
  threads.emplace_back(write_loop, std::ref(load), c.front);
  threads.emplace_back(log_loop, std::ref(load), c.front);
  struct Fault {
    std::string name, command;
    Clock::time_point at, done;
    double command_s = 0;
  };
  std::vector<Fault> faults = {{"PostgreSQL failover", "failover pg", {}, {}},
                               {"Redis failover", "failover redis", {}, {}},
                               {"host a killed", "kill a", {}, {}}};
  std::this_thread::sleep_for(2s);
  int64_t version_before_redis_failover = 0;
  for (auto& f : faults) {
    if (f.command == "failover redis") version_before_redis_failover = c.redis_version();
    f.at = Clock::now();
    const int rc = c.run(f.command);
    f.done = Clock::now();
    f.command_s = seconds_since(f.at, f.done);
    BOOST_REQUIRE_MESSAGE(rc == 0, "scripts/cluster " + f.command + " failed");
    // Let the writes resume (or give up after 20 s), then a little steady state.
    const auto resumed = [&] {
      std::lock_guard<std::mutex> lock(load.mu);
      for (auto it = load.writes.rbegin(); it != load.writes.rend() && it->first > f.done; ++it)
        if (it->second) return true;
      return false;
    };
    (void)wait_until(resumed, 20s);
    std::this_thread::sleep_for(2s);
  }
  load.stop = true;
  for (auto& t : threads) t.join();

  for (const auto& f : faults) {
    const double window = unavailability(load.writes, f.at, f.done);
    const double logs_window = unavailability(load.posts, f.at, f.done);
    std::cout << "cluster: " << f.name << ": longest time without a successful admin write "
              << window << " s, without a 202 on POST /logs " << logs_window
              << " s (the fault command took " << f.command_s << " s)" << std::endl;
    BOOST_CHECK_MESSAGE(window <= 10.0,
                        f.name << ": admin writes unavailable for " << window << " s");
    BOOST_CHECK_MESSAGE(logs_window <= 10.0,
                        f.name << ": POST /logs unavailable for " << logs_window << " s");
  }
  std::cout << "cluster: answers by status:";
  for (const auto& [status, n] : load.statuses) std::cout << " " << status << "=" << n;
  std::cout << std::endl;
  BOOST_TEST(load.statuses.count(500) == 0u);
  BOOST_TEST(load.providers.size() > 20u);
  BOOST_TEST(load.logs.size() > 20u);

  // Bring the killed host back: its flusher drains what its queue still holds.
  BOOST_REQUIRE(c.run("up") == 0);

  std::string ids;
  for (int64_t id : load.providers) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const auto found = c.sql("SELECT count(*) FROM providers WHERE id IN (" + ids + ")");
  BOOST_TEST(found[0][0] == std::to_string(load.providers.size()), "2xx'd providers in PostgreSQL");

  // Redis converges with nobody calling resync.
  std::vector<int64_t> missing;
  const bool in_redis = wait_until(
      [&] {
        missing.clear();
        for (int64_t id : load.providers)
          if (!c.redis_has("config:providers", std::to_string(id))) missing.push_back(id);
        return missing.empty();
      },
      30s);
  BOOST_TEST(in_redis, missing.size() << " 2xx'd providers missing from Redis");
  // Versions only go up across the Redis failover (the new master may have
  // missed the last pushes; the syncer's resync takes a newer version).
  BOOST_TEST(c.redis_version() > version_before_redis_failover);

  // Every 202'd entry exactly once.
  const std::string prefix = "clu-l-" + std::to_string(::getpid()) + "-";
  std::map<std::string, int> counts;
  const auto count_logs = [&] {
    counts.clear();
    for (const auto& row : c.sql("SELECT request_id, count(*) FROM logs WHERE request_id LIKE '" +
                                 prefix + "%' GROUP BY request_id"))
      counts[row[0]] = std::stoi(row[1]);
    for (const auto& id : load.logs)
      if (!counts.count(id)) return false;
    return true;
  };
  BOOST_TEST(wait_until(count_logs, 30s), "every 202'd log entry reaches PostgreSQL");
  int twice = 0;
  for (const auto& [id, n] : counts) twice += n > 1;
  BOOST_TEST(twice == 0, twice << " log entries written more than once");
}

// No primary at all (the replica is up but read-only): an admin write is a
// 503 with Retry-After, never a 500, and nothing of it is written.
BOOST_AUTO_TEST_CASE(without_a_primary_an_admin_write_is_a_503_and_writes_nothing) {
  auto& c = cluster();
  BOOST_REQUIRE(c.run("stop pg") == 0);
  const std::string name = ez::it::unique("nopg");
  for (int port : {c.host_a, c.host_b}) {
    const auto r = c.admin(port, "POST", "/providers", provider_body(name));
    BOOST_TEST(r.status == 503, ez::it::describe(r));
    BOOST_TEST(r.header("retry-after") == "1");
    BOOST_TEST(r.json()["code"].asString() == "unavailable");
  }
  BOOST_REQUIRE(c.run("up") == 0);
  BOOST_TEST(c.sql("SELECT count(*) FROM providers WHERE name = '" + name + "'")[0][0] == "0");
  // And the hosts find the primary again on their own.
  BOOST_TEST(wait_until(
      [&] {
        return c.admin(c.front, "POST", "/providers", provider_body(ez::it::unique("back")))
                   .status == 201;
      },
      10s));
}

BOOST_AUTO_TEST_SUITE_END()
