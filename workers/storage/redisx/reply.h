// How the Redis client (redis.h) reads replies, as pure functions: unit tests feed them
// replies built by hand, without a server. Redis::ask_sentinels, open, command and ping use
// them.
#pragma once

#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <string_view>

#include "redisx/redis.h"

namespace ez::redisx {

// The master's address in a SENTINEL get-master-addr-by-name reply (an array of host and
// port strings), or nullopt for anything else (nil: this Sentinel does not know the master).
[[nodiscard]] std::optional<HostPort> parse_sentinel_master(const redisReply* reply);
// True when a ROLE reply says the node is a master (a replica or sentinel says otherwise).
[[nodiscard]] bool role_is_master(const redisReply* reply);
// True for a READONLY error reply: a replica (a master demoted by a failover) refused a write.
[[nodiscard]] bool is_readonly_error(const redisReply* reply);
// True when PING was answered (status or string); else `why` (if given) says what came back.
[[nodiscard]] bool ping_reply_ok(const redisReply* reply, std::string* why);

// A reply's text (status, error, string); empty for a null reply or one without text.
[[nodiscard]] inline std::string reply_text(const redisReply* r) {
  return r && r->str ? std::string(r->str, r->len) : std::string();
}

// Throws RedisError "`what`: <the error>" when `r` is an error reply.
inline void expect_not_error(const Reply& r, std::string_view what) {
  if (r->type == REDIS_REPLY_ERROR)
    throw RedisError(std::string(what) + ": " + reply_text(r.get()));
}

}  // namespace ez::redisx
