#include "support/stack.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <hiredis/hiredis.h>
#include <json/reader.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

#include "config/config.h"
#include "http/response.h"

namespace ez::it {
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string>& extra_env() {
  static std::map<std::string, std::string> env;
  return env;
}

int free_port() {
  // Ask the kernel for a free port, then release it for the service to take.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot bind a probe socket");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    out[line.substr(0, eq)] = v;
  }
  return out;
}

std::string source_dir() {
  return EZ_SOURCE_DIR;
}

// The stack's shared-memory segments (log queue, scoreboard) outlive `down` on purpose
// (queued entries survive restarts); a test stack's must not outlive the test.
void remove_shm_segments(const std::string& dir) {
  try {
    const auto loaded = ez::config::load(dir + "/config.yaml");
    ::shm_unlink(loaded.settings.logq_shm_name().c_str());
    ::shm_unlink(loaded.settings.scoreboard_shm_name().c_str());
  } catch (const std::exception&) {
    // No config (the stack never got that far): nothing was created under its prefix.
  }
}

}  // namespace

Json::Value HttpResult::json() const {
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> r(b.newCharReader());
  Json::Value v;
  std::string err;
  if (!r->parse(body.data(), body.data() + body.size(), &v, &err))
    throw std::runtime_error("response is not JSON: " + body.substr(0, 200));
  return v;
}

std::string HttpResult::header(const std::string& lower) const {
  auto it = headers.find(lower);
  return it == headers.end() ? "" : it->second;
}

void Stack::set_env(const std::string& name, const std::string& value) {
  extra_env()[name] = value;
}

Stack::Stack() {
  char tmpl[] = "/tmp/ezapi-it-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir = tmpl;
  api_port = free_port();
  pg_port = free_port();
  redis_port = free_port();
  ::setenv("EZ_STACK_DIR", dir.c_str(), 1);
  ::setenv("EZ_API_PORT", std::to_string(api_port).c_str(), 1);
  ::setenv("EZ_STACK_PG_PORT", std::to_string(pg_port).c_str(), 1);
  ::setenv("EZ_STACK_REDIS_PORT", std::to_string(redis_port).c_str(), 1);
  ::setenv("EZ_BUILD_DIR", EZ_BUILD_DIR, 1);
  // Tests need no durability across power loss; this keeps them fast on CI disks.
  ::setenv("EZ_STACK_PG_FSYNC", "off", 0);
  for (const auto& [k, v] : extra_env()) ::setenv(k.c_str(), v.c_str(), 1);
  if (stack_cmd("up") != 0) {
    std::system(("tail -n 30 " + dir + "/log/*.log >&2").c_str());
    stack_cmd("down");
    remove_shm_segments(dir);
    if (!std::getenv("EZ_KEEP_STACK")) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
    throw std::runtime_error("scripts/stack up failed for " + dir);
  }
  auto env = read_env_file(dir + "/stack.env");
  url = env["EZ_API_URL"];
  admin_token = env["EZ_ADMIN_TOKEN"];
  internal_token = env["EZ_INTERNAL_TOKEN"];
  pg_dsn = env["EZ_PG_DSN"];
  redis_admin_password = env["REDISCLI_AUTH"];
  redis_password = env["EZ_REDIS_PASSWORD"];
  redis_balancer_password = env["EZ_STACK_REDIS_BALANCER_PASSWORD"];
}

Stack::~Stack() {
  stack_cmd("down");
  remove_shm_segments(dir);
  if (!std::getenv("EZ_KEEP_STACK")) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

int Stack::stack_cmd(const std::string& args) const {
  const std::string cmd = "EZ_STACK_DIR='" + dir + "' '" + source_dir() + "/scripts/stack' " + args;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

HttpResult Stack::http(const std::string& method, const std::string& path, const std::string& body,
                       Auth auth, const std::map<std::string, std::string>& headers) const {
  const std::string token = auth == Auth::admin      ? admin_token
                            : auth == Auth::internal ? internal_token
                                                     : std::string();
  return http_token(method, path, token, body, headers);
}

HttpResult Stack::http_token(const std::string& method, const std::string& path,
                             const std::string& token, const std::string& body,
                             const std::map<std::string, std::string>& headers) const {
  return http_at(api_port, method, path, token, body, headers);
}

HttpResult http_at(int port, const std::string& method, const std::string& path,
                   const std::string& token, const std::string& body,
                   const std::map<std::string, std::string>& headers, int timeout_s) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(timeout_s, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!token.empty()) req.set("Authorization", "Bearer " + token);
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    if (Poco::icompare(k, "content-type") == 0) has_type = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& os = session.sendRequest(req);
  os << body;
  Poco::Net::HTTPResponse resp;
  std::istream& is = session.receiveResponse(resp);
  HttpResult out;
  out.status = static_cast<int>(resp.getStatus());
  for (const auto& [k, v] : resp) out.headers[Poco::toLower(k)] = v;
  Poco::StreamCopier::copyToString(is, out.body);
  return out;
}

pid_t Stack::pid_of(const std::string& name) const {
  std::ifstream in(dir + "/run/" + name + ".pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 ? static_cast<pid_t>(pid) : 0;
}

std::vector<pid_t> Stack::worker_pids() const {
  std::vector<pid_t> out;
  const pid_t master = pid_of("master");
  if (!master) return out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    long ppid = 0;
    rest >> state >> ppid;
    // The master's other child, the outbox syncer, names itself "ezapi-syncer".
    const std::string comm = line.substr(line.find('(') + 1, close - line.find('(') - 1);
    if (ppid == master && state != 'Z' && comm != "ezapi-syncer")
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

void Stack::stop(const std::string& name) const {
  if (stack_cmd("stop " + name) != 0) throw std::runtime_error("scripts/stack stop " + name);
}

std::vector<std::vector<std::string>> Stack::sql(const std::string& query) const {
  pqxx::connection c(pg_dsn);
  pqxx::nontransaction tx(c);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : tx.exec(query)) {
    std::vector<std::string> cells;
    for (const auto& f : row) cells.push_back(f.is_null() ? "" : f.c_str());
    rows.push_back(std::move(cells));
  }
  return rows;
}

std::vector<std::string> Stack::redis(const std::vector<std::string>& argv) const {
  return redis_as("default", redis_admin_password, argv);
}

std::vector<std::string> Stack::redis_as(const std::string& user, const std::string& password,
                                         const std::vector<std::string>& argv) const {
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", redis_port),
                                                           redisFree);
  if (!c || c->err) throw std::runtime_error("redis connect failed");
  using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(c.get(), static_cast<int>(args.size()), ptrs.data(), lens.data()));
    if (!raw) throw std::runtime_error("redis command failed");
    return ReplyPtr(raw, freeReplyObject);
  };
  // The stack's Redis runs with AUTH on (scripts/lib.sh redis_acl_file).
  if (ReplyPtr a = run({"AUTH", user, password}); a->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis error: " + std::string(a->str, a->len));
  ReplyPtr r = run(argv);
  std::vector<std::string> out;
  auto flat = [&](const redisReply* x) {
    if (x->type == REDIS_REPLY_INTEGER)
      out.push_back(std::to_string(x->integer));
    else if (x->type == REDIS_REPLY_NIL)
      out.push_back("");
    else if (x->str)
      out.emplace_back(x->str, x->len);
    else
      out.push_back("");
  };
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) flat(r->element[i]);
  } else if (r->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error("redis error: " + std::string(r->str, r->len));
  } else {
    flat(r.get());
  }
  return out;
}

std::string unique(const std::string& base) {
  static std::atomic<int> n{0};
  return base + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

std::string js(const Json::Value& v) {
  return ez::http::to_json(v);
}

std::string describe(const HttpResult& r) {
  return std::to_string(r.status) + " " + r.body.substr(0, 300);
}

Stack& stack() {
  static std::unique_ptr<Stack> s;
  static std::string failure;
  // One attempt per binary: a stack that cannot start fails every case at once
  // instead of paying the start-up time again for each.
  if (!s && failure.empty()) {
    try {
      s = std::make_unique<Stack>();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!s) throw std::runtime_error("stack unavailable: " + failure);
  return *s;
}

}  // namespace ez::it
