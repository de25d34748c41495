// The platform as a user meets it: through nginx, with request ids, JSON errors,
// and nginx as the only network listener.
#define BOOST_TEST_MODULE platform
#include <hiredis/hiredis.h>
#include <json/value.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "support/stack.h"

namespace fs = std::filesystem;
using ez::it::Auth;
using ez::it::stack;

namespace {

// Socket inodes in LISTEN state on TCP (v4 and v6), from the kernel's tables.
std::set<std::string> tcp_listen_inodes() {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (st == "0A") out.insert(inode);
    }
  }
  return out;
}

bool listens_on_tcp(pid_t pid) {
  const auto listening = tcp_listen_inodes();
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    auto target = fs::read_symlink(fd.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) {
      auto inode = target.substr(8, target.size() - 9);
      if (listening.count(inode)) return true;
    }
  }
  return false;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) ::pclose(p);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(healthz_through_nginx_echoes_request_id) {
  auto& s = stack();
  auto r = s.http("GET", "/healthz", "", Auth::none, {{"X-Request-ID", "it-req-123"}});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json()["status"].asString() == "ok");
  BOOST_TEST(r.header("x-request-id") == "it-req-123");
  // Without one, nginx mints an id and the answer carries it.
  auto g = s.http("GET", "/healthz", "", Auth::none);
  BOOST_TEST(g.header("x-request-id").size() >= 16u);
}

BOOST_AUTO_TEST_CASE(readyz_reports_both_dependencies) {
  auto r = stack().http("GET", "/readyz", "", Auth::none);
  BOOST_TEST(r.status == 200);
  auto j = r.json();
  BOOST_TEST(j["checks"]["postgres"]["ok"].asBool());
  BOOST_TEST(j["checks"]["redis"]["ok"].asBool());
}

BOOST_AUTO_TEST_CASE(unknown_path_wrong_method_and_big_body_are_json) {
  auto& s = stack();
  auto nf = s.http("GET", "/no/such/thing", "", Auth::none);
  BOOST_TEST(nf.status == 404);
  BOOST_TEST(nf.json()["code"].asString() == "not_found");
  auto m = s.http("DELETE", "/healthz", "", Auth::none);
  BOOST_TEST(m.status == 405);
  BOOST_TEST(m.json()["code"].asString() == "method_not_allowed");
  BOOST_TEST(m.header("allow") == "GET");
  auto big = s.http("POST", "/logs", std::string(9 << 20, 'x'), Auth::internal);
  BOOST_TEST(big.status == 413);
  BOOST_TEST(big.json()["code"].asString() == "payload_too_large");
}

BOOST_AUTO_TEST_CASE(internal_paths_are_closed_to_other_networks_by_nginx) {
  // The dev site (the production site rendered for the stack) allows loopback only.
  std::ifstream conf(stack().dir + "/nginx/ezapi.conf");
  std::stringstream text;
  text << conf.rdbuf();
  BOOST_TEST(text.str().find("allow 127.0.0.1/32;") != std::string::npos);
  BOOST_TEST(text.str().find("deny all;") != std::string::npos);
  // Both pools' sockets are filled in (the ingest pool serves /logs and /sync/).
  BOOST_TEST(text.str().find("server unix:" + stack().dir + "/run/ezapi.sock;") !=
             std::string::npos);
  BOOST_TEST(text.str().find("server unix:" + stack().dir + "/run/ezapi-ingest.sock;") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(nginx_is_the_only_tcp_listener) {
  auto& s = stack();
  const pid_t master = s.pid_of("master");
  BOOST_REQUIRE(master > 0);
  BOOST_TEST(!listens_on_tcp(master));
  auto workers = s.worker_pids();
  BOOST_TEST(!workers.empty());
  for (pid_t w : workers) BOOST_TEST(!listens_on_tcp(w));
  BOOST_TEST(!listens_on_tcp(s.pid_of("flusher")));
  BOOST_TEST(listens_on_tcp(s.pid_of("nginx")));
}

BOOST_AUTO_TEST_CASE(check_config_shows_env_beating_file_beating_default) {
  const std::string dir = stack().dir;
  {
    std::ofstream f(dir + "/layer-test.yaml");
    f << "server:\n  port: 9100\nlog:\n  batch_size: 77\n";
  }
  const std::string out =
      run("cd " + dir + " && env -i PATH=/usr/bin:/bin EZ_CONFIG_FILE=" + dir +
          "/layer-test.yaml EZ_API_PORT=9200 " + EZ_BUILD_DIR + "/ezapi-server --check-config");
  BOOST_TEST(out.find("server.port = 9200  # env") != std::string::npos, out);
  BOOST_TEST(out.find("log.batch_size = 77  # file") != std::string::npos, out);
  BOOST_TEST(out.find("log.flush_ms = 1000  # default") != std::string::npos, out);
  // A bad value: non-zero exit and one line naming the key.
  const std::string bad =
      run("env -i PATH=/usr/bin:/bin EZ_LOG_LEVEL=loud " + std::string(EZ_BUILD_DIR) +
          "/ezapi-server --check-config 2>&1; echo rc=$?");
  BOOST_TEST(bad.find("log.level") != std::string::npos, bad);
  BOOST_TEST(bad.find("rc=0") == std::string::npos, bad);
  const std::string missing =
      run("env -i PATH=/usr/bin:/bin EZ_CONFIG_FILE=/nonexistent.yaml " +
          std::string(EZ_BUILD_DIR) + "/ezapi-server --check-config 2>&1; echo rc=$?");
  BOOST_TEST(missing.find("EZ_CONFIG_FILE") != std::string::npos, missing);
  BOOST_TEST(missing.find("rc=0") == std::string::npos, missing);
}

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text Redis answers when an ACL refuses a command ("NOPERM ..."), or "" when allowed.
std::string refusal(const std::string& user, const std::string& password,
                    const std::vector<std::string>& argv) {
  try {
    (void)stack().redis_as(user, password, argv);
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

}  // namespace

// Redis holds the providers' API keys: it runs with AUTH on, and a client without the
// password gets nothing.
BOOST_AUTO_TEST_CASE(redis_refuses_clients_without_a_password) {
  auto& s = stack();
  BOOST_TEST(
      refusal("default", "wrong-password", {"HGETALL", "config:providers"}).find("WRONGPASS") !=
      std::string::npos);
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", s.redis_port),
                                                           redisFree);
  BOOST_REQUIRE(c && !c->err);
  std::unique_ptr<redisReply, void (*)(void*)> r(
      static_cast<redisReply*>(redisCommand(c.get(), "HGETALL config:providers")), freeReplyObject);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->type == REDIS_REPLY_ERROR);
  BOOST_TEST(std::string(r->str, r->len).find("NOAUTH") == 0u);
}

// The balancer's ACL (docs/operations.md "Redis authentication"): it reads the snapshot
// hashes and subscribes to the refresh channel, and can do nothing else.
BOOST_AUTO_TEST_CASE(the_balancer_user_reads_config_and_changes_nothing) {
  auto& s = stack();
  const std::string user = "ezapi-balancer", pw = s.redis_balancer_password;
  for (const char* key : {"config:providers", "config:keys", "config:masters", "config:bindings",
                          "meta:models", "meta:models_meta", "meta:features", "meta:snapshot"})
    BOOST_TEST(refusal(user, pw, {"HGETALL", key}) == "", key);
  BOOST_TEST(refusal(user, pw, {"HSCAN", "config:keys", "0"}) == "");
  BOOST_TEST(refusal(user, pw, {"SUBSCRIBE", "dp:config:refresh"}) == "");
  for (const std::vector<std::string>& write :
       {std::vector<std::string>{"HSET", "config:keys", "x", "{}"},
        {"DEL", "config:keys"},
        {"PUBLISH", "dp:config:refresh", "{}"},
        {"SUBSCRIBE", "other"},
        {"SET", "other", "1"},
        {"GET", "other"},
        {"KEYS", "*"},
        {"FLUSHALL"},
        {"CONFIG", "GET", "*"},
        {"CLIENT", "KILL", "USER", "ezapi"},
        {"ACL", "LIST"}})
    BOOST_TEST(refusal(user, pw, write).find("NOPERM") != std::string::npos, write.at(0));
}

// A wrong Redis password is a clear, logged error and /readyz says Redis is not ready;
// nothing crashes, and the right password brings it back.
BOOST_AUTO_TEST_CASE(a_wrong_redis_password_is_a_clear_error_and_not_ready) {
  auto& s = stack();
  const auto workers = s.worker_pids();
  // The server's user gets another password; its open connections are dropped.
  (void)s.redis({"ACL", "SETUSER", "ezapi", "resetpass", ">another-password-entirely"});
  (void)s.redis({"CLIENT", "KILL", "USER", "ezapi"});
  ez::it::HttpResult r;
  const bool refused = s.wait_until([&] {
    r = s.http("GET", "/readyz", "", Auth::none);
    return r.status == 503 &&
           r.json()["checks"]["redis"]["error"].asString().find("WRONGPASS") != std::string::npos;
  });
  BOOST_TEST(refused, ez::it::describe(r));
  const Json::Value j = r.json();
  BOOST_TEST(!j["checks"]["redis"]["ok"].asBool());
  BOOST_TEST(j["checks"]["postgres"]["ok"].asBool());
  BOOST_TEST(j["checks"]["redis"]["error"].asString().find("user ezapi") != std::string::npos);
  BOOST_TEST(r.body.find(s.redis_password) == std::string::npos);
  const std::string log = file_text(s.dir + "/log/master.log");
  BOOST_TEST(log.find("AUTH as user ezapi refused: WRONGPASS") != std::string::npos);
  BOOST_TEST(log.find(s.redis_password) == std::string::npos);

  (void)s.redis({"ACL", "SETUSER", "ezapi", "resetpass", ">" + s.redis_password});
  BOOST_TEST(s.wait_until([&] { return s.http("GET", "/readyz", "", Auth::none).status == 200; }));
  BOOST_TEST(s.worker_pids() == workers);
}

// A request path reaches the process log only escaped: a %0a in it cannot start a forged
// line. PostgreSQL is down, so the request fails with a 503 and its path is logged.
BOOST_AUTO_TEST_CASE(a_request_cannot_forge_a_line_of_the_log) {
  auto& s = stack();
  s.stop("postgres");
  const std::string forged = "2026-12-07T22:00:00.000Z E master FORGED-UNAUTH-LINE";
  auto r = s.http_token(
      "GET", "/master/keys/1%0a2026-12-07T22:00:00.000Z%20E%20master%20FORGED-UNAUTH-LINE",
      "ezm_" + std::string(43, 'A'));
  BOOST_TEST(r.status == 503, ez::it::describe(r));
  const bool logged = s.wait_until([&] {
    return file_text(s.dir + "/log/master.log").find("FORGED-UNAUTH-LINE") != std::string::npos;
  });
  BOOST_TEST(logged);
  std::istringstream lines(file_text(s.dir + "/log/master.log"));
  for (std::string line; std::getline(lines, line);) {
    BOOST_TEST(line.rfind(forged, 0) != 0u, "forged line: " << line);
    if (line.find("FORGED-UNAUTH-LINE") != std::string::npos)
      BOOST_TEST(line.find("/master/keys/1\\n2026-12-07T22:00:00.000Z E master FORGED") !=
                     std::string::npos,
                 line);
  }
  BOOST_TEST(s.stack_cmd("up") == 0);
}
