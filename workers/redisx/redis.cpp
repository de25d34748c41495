#include "redisx/redis.h"

#include "common/log.h"

namespace ez::redisx {
namespace {

constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

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

Redis::Redis(std::string host, int port, int db, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), db_(db), timeout_(timeout) {
  endpoint_ = host_ + ":" + std::to_string(port_);
}

redisContext* Redis::ctx() {
  if (ctx_) return ctx_.get();
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) throw RedisError("redis unavailable: " + last_error_);
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  std::unique_ptr<redisContext, ContextDeleter> c(
      redisConnectWithTimeout(host_.c_str(), port_, tv));
  std::string error;
  if (!c) {
    error = "cannot allocate context";
  } else if (c->err) {
    error = c->errstr;
  } else {
    redisSetTimeout(c.get(), tv);  // also bounds every command, not only connect
    if (db_ != 0) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
      if (!r || r->type == REDIS_REPLY_ERROR) error = "SELECT failed";
    }
  }
  if (!error.empty()) {
    backoff_ = backoff_.count() == 0 ? kMinBackoff : std::min(backoff_ * 2, kMaxBackoff);
    next_attempt_ = now + backoff_;
    if (error != last_error_) log::warn("redis " + endpoint_ + ": connect failed: " + error);
    last_error_ = error;
    throw RedisError("redis unavailable: " + error);
  }
  if (!last_error_.empty()) log::info("redis " + endpoint_ + ": connection re-established");
  last_error_.clear();
  backoff_ = std::chrono::milliseconds{0};
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
  try {
    Reply r = command({"PING"});
    if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) return true;
    if (why) *why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "bad reply";
  } catch (const RedisError& e) {
    if (why) *why = e.what();
  }
  return false;
}

void Redis::mark_broken() {
  ctx_.reset();
  pending_ = 0;
  if (backoff_.count() == 0) backoff_ = kMinBackoff;
  next_attempt_ = std::chrono::steady_clock::now() + backoff_;
}

}  // namespace ez::redisx
