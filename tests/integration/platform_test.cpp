// The platform as a user meets it: through nginx, with request ids, JSON errors,
// and nginx as the only network listener.
#define BOOST_TEST_MODULE platform
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

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
