#include "redisx/redis.h"

#include <cstdlib>
#include <string_view>

#include "common/log.h"
#include "config/config.h"
#include "redisx/reply.h"

namespace ez::redisx {
namespace {

std::vector<const char*> argv_ptrs(const std::vector<std::string>& argv,
                                   std::vector<size_t>& lens) {
  std::vector<const char*> ptrs;
  ptrs.reserve(argv.size());
  lens.clear();
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  return ptrs;
}

}  // namespace

Redis::Redis(std::string host, int port, int db, std::chrono::milliseconds timeout, Auth auth)
    : host_(std::move(host)), port_(port), db_(db), timeout_(timeout), auth_(std::move(auth)) {
  endpoint_ = host_ + ":" + std::to_string(port_);
}

Redis::Redis(std::vector<HostPort> sentinels, std::string master_name, int db,
             std::chrono::milliseconds timeout, Auth auth)
    : sentinels_(std::move(sentinels)),
      master_name_(std::move(master_name)),
      db_(db),
      timeout_(timeout),
      auth_(std::move(auth)) {
  endpoint_ = "sentinel master " + master_name_;
}

Redis Redis::from_settings(const config::Settings& s) {
  Auth auth{s.redis_username, s.redis_password, s.redis_sentinel_password};
  if (s.redis_sentinels.empty())
    return Redis(s.redis_host, s.redis_port, s.redis_db, kDefaultTimeout, std::move(auth));
  std::vector<HostPort> sentinels;
  for (const auto& [host, port] : s.redis_sentinels) sentinels.push_back({host, port});
  return Redis(std::move(sentinels), s.redis_master_name, s.redis_db, kDefaultTimeout,
               std::move(auth));
}

namespace {

// A Sentinel answers in milliseconds; a dead one must not hold a request long.
constexpr std::chrono::milliseconds kSentinelTimeout{500};

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// AUTH [username] password on a fresh connection. Returns why it failed (Redis's own
// error, which never contains the password), empty on success or without a password.
std::string authenticate(redisContext* c, const std::string& username,
                         const std::string& password) {
  if (password.empty()) return {};
  std::vector<std::string> argv{"AUTH"};
  if (!username.empty()) argv.push_back(username);
  argv.push_back(password);
  std::vector<size_t> lens;
  auto ptrs = argv_ptrs(argv, lens);
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(ptrs.size()), ptrs.data(), lens.data())));
  if (!r) return std::string("AUTH failed: ") + c->errstr;
  if (r->type == REDIS_REPLY_ERROR)
    return "AUTH" + (username.empty() ? std::string() : " as user " + username) +
           " refused: " + std::string(r->str, r->len);
  return {};
}

}  // namespace

std::optional<HostPort> parse_sentinel_master(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return std::nullopt;
  const redisReply* host = r->element[0];
  const redisReply* port = r->element[1];
  if (!host || !port || host->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_STRING)
    return std::nullopt;
  const int p = std::atoi(std::string(port->str, port->len).c_str());
  if (p <= 0 || p > 65535) return std::nullopt;
  return HostPort{std::string(host->str, host->len), p};
}

bool role_is_master(const redisReply* r) {
  return r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0] &&
         r->element[0]->type == REDIS_REPLY_STRING &&
         std::string_view(r->element[0]->str, r->element[0]->len) == "master";
}

bool is_readonly_error(const redisReply* r) {
  return r && r->type == REDIS_REPLY_ERROR && r->len >= 8 &&
         std::string_view(r->str, 8) == "READONLY";
}

bool ping_reply_ok(const redisReply* r, std::string* why) {
  if (r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)) return true;
  if (why) *why = r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "bad reply";
  return false;
}

std::optional<HostPort> Redis::ask_sentinels() {
  const timeval tv = to_timeval(std::min(timeout_, kSentinelTimeout));
  for (const auto& s : sentinels_) {
    std::unique_ptr<redisContext, ContextDeleter> c(
        redisConnectWithTimeout(s.host.c_str(), s.port, tv));
    const std::string at = "Sentinel " + s.host + ":" + std::to_string(s.port);
    if (!c || c->err) {
      sentinel_error_ = at + ": " + (c ? c->errstr : "cannot allocate context");
      continue;
    }
    redisSetTimeout(c.get(), tv);
    if (auto why = authenticate(c.get(), {}, auth_.sentinel_password); !why.empty()) {
      sentinel_error_ = at + ": " + why;
      continue;
    }
    Reply r(static_cast<redisReply*>(
        redisCommand(c.get(), "SENTINEL get-master-addr-by-name %s", master_name_.c_str())));
    if (auto where = parse_sentinel_master(r.get())) return where;
    sentinel_error_ = at + ": no master named " + master_name_ +
                      (r && r->type == REDIS_REPLY_ERROR ? " (" + std::string(r->str, r->len) + ")"
                                                         : std::string());
  }
  return std::nullopt;
}

bool Redis::follow_master() {
  if (sentinels_.empty() || !ctx_) return false;
  const auto where = ask_sentinels();
  if (!where || (where->host == host_ && where->port == port_)) return false;
  log::warn("redis: the Sentinels moved master " + master_name_ + " from " + host_ + ":" +
            std::to_string(port_) + " to " + where->host + ":" + std::to_string(where->port));
  ctx_.reset();
  pending_ = 0;
  backoff_.retry_now();
  return true;
}

std::string Redis::open(std::unique_ptr<redisContext, ContextDeleter>& out) {
  if (!sentinels_.empty()) {
    const auto where = ask_sentinels();
    if (!where)
      return "no Sentinel knows master " + master_name_ + " (last: " + sentinel_error_ + ")";
    host_ = where->host;
    port_ = where->port;
  }
  const timeval tv = to_timeval(timeout_);
  std::unique_ptr<redisContext, ContextDeleter> c(
      redisConnectWithTimeout(host_.c_str(), port_, tv));
  if (!c) return "cannot allocate context";
  if (c->err) return c->errstr;
  redisSetTimeout(c.get(), tv);  // also bounds every command, not only connect
  if (auto why = authenticate(c.get(), auth_.username, auth_.password); !why.empty()) return why;
  if (db_ != 0) {
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
    if (!r || r->type == REDIS_REPLY_ERROR) return "SELECT failed";
  }
  if (!sentinels_.empty()) {
    // The Sentinels' view lags a failover by a moment: only write to a node
    // that says it is a master itself.
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "ROLE")));
    if (!role_is_master(r.get()))
      return host_ + ":" + std::to_string(port_) + " is not a master (yet)";
  }
  out = std::move(c);
  return {};
}

redisContext* Redis::ctx() {
  if (ctx_) return ctx_.get();
  const auto now = Backoff::Clock::now();
  if (!backoff_.ready(now)) throw RedisError("redis unavailable: " + last_error_);
  std::unique_ptr<redisContext, ContextDeleter> c;
  const std::string error = open(c);
  if (!sentinels_.empty() && !host_.empty()) endpoint_ = host_ + ":" + std::to_string(port_);
  if (!error.empty()) {
    (void)backoff_.failed(now);
    if (error != last_error_) log::warn("redis " + endpoint_ + ": connect failed: " + error);
    last_error_ = error;
    throw RedisError("redis unavailable: " + error);
  }
  if (!last_error_.empty()) log::info("redis " + endpoint_ + ": connection re-established");
  last_error_.clear();
  backoff_.succeeded();
  pending_ = 0;
  ctx_ = std::move(c);
  return ctx_.get();
}

Reply Redis::command(const std::vector<std::string>& argv) {
  redisContext* c = ctx();
  std::vector<size_t> lens;
  auto ptrs = argv_ptrs(argv, lens);
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(ptrs.size()), ptrs.data(), lens.data())));
  if (!r) {
    std::string why = c->errstr;
    mark_broken();
    throw RedisError("redis command failed: " + why);
  }
  // A master demoted by a failover answers writes with READONLY: drop the
  // connection so the next command finds the new master.
  if (is_readonly_error(r.get())) mark_broken();
  return r;
}

void Redis::append(const std::vector<std::string>& argv) {
  redisContext* c = ctx();
  std::vector<size_t> lens;
  auto ptrs = argv_ptrs(argv, lens);
  if (redisAppendCommandArgv(c, static_cast<int>(ptrs.size()), ptrs.data(), lens.data()) !=
      REDIS_OK) {
    mark_broken();
    throw RedisError("redis append failed");
  }
  ++pending_;
}

void Redis::append_formatted(const std::string& protocol) {
  redisContext* c = ctx();
  if (redisAppendFormattedCommand(c, protocol.data(), protocol.size()) != REDIS_OK) {
    mark_broken();
    throw RedisError("redis append failed");
  }
  ++pending_;
}

Reply Redis::read_reply() {
  if (!ctx_) throw RedisError("redis connection lost during pipeline");
  void* raw = nullptr;
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || !raw) {
    std::string why = ctx_->errstr;
    mark_broken();
    throw RedisError("redis pipeline failed: " + why);
  }
  if (pending_ > 0) --pending_;
  return Reply(static_cast<redisReply*>(raw));
}

bool Redis::ping(std::string* why) {
  // A connection opened before the server restarted fails on its next use, which says
  // nothing about the server now: a probe that loses an open connection asks once more on a
  // fresh one, without the back-off's wait, before it reports Redis down.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool was_open = ctx_ != nullptr;
    try {
      Reply r = command({"PING"});
      return ping_reply_ok(r.get(), why);
    } catch (const RedisError& e) {
      if (why) *why = e.what();
      if (!was_open) break;
      backoff_.retry_now();
    }
  }
  return false;
}

void Redis::mark_broken() {
  // No connection: the caller failed because the back-off refused to connect (or
  // before any use). That is no new failure; counting it would push the next
  // attempt out on every call and, with callers more frequent than the wait,
  // never connect again.
  if (!ctx_) return;
  ctx_.reset();
  pending_ = 0;
  if (!sentinels_.empty()) {
    // The Sentinels may already point elsewhere: ask them at once.
    backoff_.retry_now();
    return;
  }
  (void)backoff_.failed(Backoff::Clock::now());
}

}  // namespace ez::redisx
