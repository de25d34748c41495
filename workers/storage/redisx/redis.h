// One Redis connection per process (hiredis), opened lazily, re-opened with
// back-off. Replies are owned by Reply (RAII over freeReplyObject).
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/backoff.h"

namespace ez::config {
struct Settings;
}

namespace ez::redisx {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c) redisFree(c);
  }
};

// Redis is down or answered with a transport error.
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;
  int port = 0;
};

// AUTH on every connection before anything else: `username` + `password` (an ACL user; an
// empty username is the default user) to Redis, `sentinel_password` to the Sentinels. Empty
// passwords send no AUTH. A refused AUTH is a connect failure whose text is Redis's answer
// (WRONGPASS...), never the password.
struct Auth {
  std::string username, password, sentinel_password;
};

class Redis {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{2000};

  Redis(std::string host, int port, int db, std::chrono::milliseconds timeout = kDefaultTimeout,
        Auth auth = {});
  // Sentinel mode: the master is whatever the Sentinels at `sentinels` say
  // `master_name` is (SENTINEL get-master-addr-by-name, confirmed with ROLE),
  // asked again on every (re)connection.
  Redis(std::vector<HostPort> sentinels, std::string master_name, int db,
        std::chrono::milliseconds timeout = kDefaultTimeout, Auth auth = {});
  // redis.sentinels + redis.master_name when set, else redis.addr; with the AUTH settings.
  [[nodiscard]] static Redis from_settings(const config::Settings& settings);
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  // Runs one command (argv form: binary safe). Throws RedisError when Redis is
  // unreachable (honouring the back-off) or the connection breaks; a Redis
  // error reply (REDIS_REPLY_ERROR) is returned, not thrown.
  [[nodiscard]] Reply command(const std::vector<std::string>& argv);

  // Pipelining: append any number of commands, then read the same number of replies.
  void append(const std::vector<std::string>& argv);
  // One command already in the Redis protocol (RESP); for bulk loads that
  // format millions of arguments without an argv vector per command.
  void append_formatted(const std::string& protocol);
  [[nodiscard]] Reply read_reply();
  // Appended commands whose replies have not been read yet.
  size_t pending() const { return pending_; }

  [[nodiscard]] bool ping(std::string* why = nullptr);
  // The connection in use broke (or its state is unknown): drop it. The next use
  // connects again after the back-off (at once in Sentinel mode). Without a
  // connection it does nothing: a failure of a caller the back-off refused is
  // not a new failure and must not extend the wait.
  void mark_broken();
  bool connected() const { return ctx_ != nullptr; }
  const std::string& endpoint() const { return endpoint_; }
  bool sentinel_mode() const { return !sentinels_.empty(); }

  // Sentinel mode: asks the Sentinels where the master is now and drops the
  // connection when it is elsewhere (a failover happened), so the next command
  // goes to the new master. Returns true when it moved. Cheap (one round trip
  // to a Sentinel); a no-op returning false without Sentinels. Never throws.
  bool follow_master();
  // The master address the Sentinels report, or nullopt when none answers.
  [[nodiscard]] std::optional<HostPort> ask_sentinels();

 private:
  redisContext* ctx();
  // Connects to host_:port_ (after asking the Sentinels in Sentinel mode);
  // returns an error text, empty on success.
  std::string open(std::unique_ptr<redisContext, ContextDeleter>& out);

  std::vector<HostPort> sentinels_;
  std::string master_name_;
  std::string host_;
  int port_ = 0;
  int db_;
  std::chrono::milliseconds timeout_;
  std::string endpoint_;
  std::unique_ptr<redisContext, ContextDeleter> ctx_;
  // At most one connect attempt every 2 s per process while Redis is away, so a
  // returning Redis is found within about 2 s plus the caller's own period (the
  // balancer refuses every key while config:keys is missing).
  Backoff backoff_{std::chrono::milliseconds{100}, std::chrono::milliseconds{2000}};
  std::string last_error_;
  size_t pending_ = 0;
  Auth auth_;
  std::string sentinel_error_;  // why the last ask_sentinels() found no master
};

}  // namespace ez::redisx
