// A real stack for integration tests: PostgreSQL, Redis, nginx, the flusher and
// the master with its workers, started by scripts/stack in a fresh temp dir on
// free loopback ports, torn down (no process left) when the test binary exits.
//
//   #include "support/stack.h"
//   BOOST_AUTO_TEST_CASE(x) {
//     auto& s = ez::it::stack();            // started on first use, shared by the binary
//     auto r = s.http("GET", "/readyz");
//     BOOST_TEST(r.status == 200);
//     auto j = r.json();
//   }
#pragma once

#include <json/value.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ez::it {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  [[nodiscard]] Json::Value json() const;  // throws when the body is not JSON
  [[nodiscard]] std::string header(const std::string& lower) const;
};

enum class Auth { none, admin, internal };

class Stack {
 public:
  // Extra env for the stack (e.g. {"EZ_LOG_QUEUE","100"}) must be set before first use.
  static void set_env(const std::string& name, const std::string& value);

  Stack();
  ~Stack();  // scripts/stack down + removes the dir

  std::string dir;  // EZ_STACK_DIR
  std::string url;  // http://127.0.0.1:PORT
  int api_port = 0, pg_port = 0, redis_port = 0;
  std::string admin_token, internal_token, pg_dsn;
  // Redis runs with AUTH on: the default user (what redis() uses), the server's user
  // `ezapi` and the balancer's read-only user `ezapi-balancer` (scripts/lib.sh).
  std::string redis_admin_password, redis_password, redis_balancer_password;

  // HTTP through nginx (Poco::Net::HTTPClientSession). `token` overrides auth.
  [[nodiscard]] HttpResult http(const std::string& method, const std::string& path,
                                const std::string& body = {}, Auth auth = Auth::admin,
                                const std::map<std::string, std::string>& headers = {}) const;
  [[nodiscard]] HttpResult http_token(const std::string& method, const std::string& path,
                                      const std::string& token, const std::string& body = {},
                                      const std::map<std::string, std::string>& headers = {}) const;

  // Runs `scripts/stack <args>` with this stack's env; returns the exit code.
  int stack_cmd(const std::string& args) const;
  // Pid from $dir/run/<name>.pid (postgres, redis, nginx, master, flusher), or 0.
  [[nodiscard]] pid_t pid_of(const std::string& name) const;
  // Pids of the workers (the master's children but the syncer).
  [[nodiscard]] std::vector<pid_t> worker_pids() const;
  // Stop one service (redis, postgres, flusher, master, nginx) via `scripts/stack stop`;
  // `stack_cmd("up")` restarts whatever is stopped.
  void stop(const std::string& name) const;

  // One SQL query through psql-free libpqxx; returns rows of text cells.
  [[nodiscard]] std::vector<std::vector<std::string>> sql(const std::string& query) const;
  // One Redis command as the default user; returns the reply flattened to strings
  // (nil -> ""). Throws on an error reply.
  [[nodiscard]] std::vector<std::string> redis(const std::vector<std::string>& argv) const;
  // The same as another ACL user.
  [[nodiscard]] std::vector<std::string> redis_as(const std::string& user,
                                                  const std::string& password,
                                                  const std::vector<std::string>& argv) const;

  // Polls `pred` every 50 ms until it holds or `timeout_ms` passes.
  template <typename Pred>
  bool wait_until(Pred pred, int timeout_ms = 10000) const;
};

// One HTTP request to 127.0.0.1:`port` (what Stack::http uses; also for the
// several endpoints of scripts/cluster). Throws Poco exceptions when the
// connection fails or times out.
[[nodiscard]] HttpResult http_at(int port, const std::string& method, const std::string& path,
                                 const std::string& token, const std::string& body = {},
                                 const std::map<std::string, std::string>& headers = {},
                                 int timeout_s = 30);

// The stack of this test binary (started on first call).
Stack& stack();

// Small helpers the test files share.
[[nodiscard]] std::string unique(const std::string& base);  // base-<pid>-<n>, never repeats
[[nodiscard]] std::string js(const Json::Value& v);         // compact JSON body
[[nodiscard]] std::string describe(const HttpResult& r);    // "status body..." for messages

}  // namespace ez::it

#include <chrono>
#include <thread>

template <typename Pred>
bool ez::it::Stack::wait_until(Pred pred, int timeout_ms) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}
