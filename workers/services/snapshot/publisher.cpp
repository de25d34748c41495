#include "snapshot/publisher.h"

#include <cstdlib>

#include "common/log.h"
#include "redisx/reply.h"
#include "snapshot/builders.h"

namespace ez::snapshot {
namespace {

// KEYS[1] = meta:snapshot, ARGV = version, updated_at. Raises the version only
// when the new one is greater; returns 1 when it did.
constexpr const char* kSetVersionIfGreater = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
local v = tonumber(ARGV[1])
if v > cur then
  redis.call('HSET', KEYS[1], 'version', ARGV[1], 'updated_at', ARGV[2])
  return 1
end
return 0
)lua";

constexpr std::string_view kTempMarker = ":resync:";

Argv version_bump(int64_t version, int64_t now_unix) {
  return {"EVAL",
          kSetVersionIfGreater,
          "1",
          std::string(layout::snapshot),
          std::to_string(version),
          std::to_string(now_unix)};
}

Argv publish(const Event& e, int64_t version, int64_t now_unix) {
  return {"PUBLISH", std::string(layout::refresh_channel),
          snapshot::refresh_event_json(e.resource, version, e.active_key, now_unix)};
}

using redisx::expect_not_error;
using redisx::reply_text;

// Reads the replies of MULTI ... EXEC appended as `queued` commands in between
// (all of them, before judging any, so the connection stays in step). Returns
// the EXEC reply (nil when a WATCHed key changed).
redisx::Reply read_transaction(redisx::Redis& redis, size_t queued) {
  redisx::Reply multi = redis.read_reply();
  std::string first_error;
  for (size_t i = 0; i < queued; ++i) {
    redisx::Reply q = redis.read_reply();
    if (q->type == REDIS_REPLY_ERROR && first_error.empty()) first_error = reply_text(q.get());
  }
  redisx::Reply exec = redis.read_reply();
  expect_not_error(multi, "MULTI");
  // A command refused while queueing makes EXEC fail as a whole (EXECABORT).
  if (!first_error.empty()) throw redisx::RedisError("command refused: " + first_error);
  expect_not_error(exec, "EXEC");
  return exec;
}

// Runs `f`; when it throws half-way through a pipeline or a WATCH, the
// connection's state is unknown: drop it so the next user starts clean.
template <typename F>
auto on_connection(redisx::Redis& redis, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    redis.mark_broken();
    throw;
  }
}

}  // namespace

RedisState Publisher::state() {
  redisx::Reply r = redis_.command({"HGET", std::string(layout::snapshot), "version"});
  expect_not_error(r, "HGET meta:snapshot");
  RedisState s;
  if (r->type == REDIS_REPLY_STRING) {
    s.present = true;
    s.version = std::strtoll(reply_text(r.get()).c_str(), nullptr, 10);
  }
  return s;
}

std::pair<RedisState, std::vector<int64_t>> Publisher::field_counts(
    const std::vector<std::string>& keys) {
  return on_connection(redis_, [&] {
    redis_.append({"MULTI"});
    redis_.append({"HGET", std::string(layout::snapshot), "version"});
    for (const auto& k : keys) redis_.append({"HLEN", k});
    redis_.append({"EXEC"});
    redisx::Reply exec = read_transaction(redis_, keys.size() + 1);
    if (exec->type != REDIS_REPLY_ARRAY || exec->elements != keys.size() + 1)
      throw redisx::RedisError("EXEC: unexpected reply");
    std::pair<RedisState, std::vector<int64_t>> out;
    const redisReply* v = exec->element[0];
    if (v->type == REDIS_REPLY_STRING) {
      out.first.present = true;
      out.first.version = std::strtoll(reply_text(v).c_str(), nullptr, 10);
    }
    for (size_t i = 1; i < exec->elements; ++i) {
      const redisReply* n = exec->element[i];
      if (n->type != REDIS_REPLY_INTEGER) throw redisx::RedisError("HLEN: unexpected reply");
      out.second.push_back(n->integer);
    }
    return out;
  });
}

ApplyResult Publisher::apply(const std::vector<Argv>& commands, const std::vector<Event>& events,
                             int64_t version, int64_t min_version, int64_t now_unix) {
  return on_connection(
      redis_, [&] { return apply_watched(commands, events, version, min_version, now_unix); });
}

ApplyResult Publisher::apply_watched(const std::vector<Argv>& commands,
                                     const std::vector<Event>& events, int64_t version,
                                     int64_t min_version, int64_t now_unix) {
  redisx::Reply w = redis_.command({"WATCH", std::string(layout::snapshot)});
  expect_not_error(w, "WATCH");
  const RedisState s = state();
  if (!s.present || s.version < min_version) {
    redisx::Reply u = redis_.command({"UNWATCH"});
    return ApplyResult::stale;
  }
  redis_.append({"MULTI"});
  for (const auto& c : commands) redis_.append(c);
  redis_.append(version_bump(version, now_unix));
  for (const auto& e : events) redis_.append(publish(e, version, now_unix));
  redis_.append({"EXEC"});
  redisx::Reply exec = read_transaction(redis_, commands.size() + 1 + events.size());
  if (exec->type == REDIS_REPLY_NIL) return ApplyResult::aborted;
  if (exec->type != REDIS_REPLY_ARRAY) throw redisx::RedisError("EXEC: unexpected reply");
  for (size_t i = 0; i < exec->elements; ++i) {
    const redisReply* e = exec->element[i];
    if (e->type == REDIS_REPLY_ERROR) throw redisx::RedisError("in EXEC: " + reply_text(e));
  }
  const redisReply* bumped = exec->element[commands.size()];
  if (bumped->type == REDIS_REPLY_INTEGER && bumped->integer == 0)
    log::warn("snapshot: redisx::Redis already holds a version above " + std::to_string(version));
  return ApplyResult::applied;
}

std::string Publisher::temporary(std::string_view live, int64_t version) {
  return std::string(live) + std::string(kTempMarker) + std::to_string(version);
}

void Publisher::drop_temporaries() {
  // The key space holds a handful of keys (each snapshot is one hash), so a
  // SCAN over it is cheap.
  std::string cursor = "0";
  do {
    redisx::Reply r = redis_.command(
        {"SCAN", cursor, "MATCH", "*" + std::string(kTempMarker) + "*", "COUNT", "1000"});
    expect_not_error(r, "SCAN");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      throw redisx::RedisError("SCAN: bad reply");
    cursor = reply_text(r->element[0]);
    const redisReply* names = r->element[1];
    if (names->elements == 0) continue;
    Argv unlink{"UNLINK"};
    for (size_t i = 0; i < names->elements; ++i) unlink.push_back(reply_text(names->element[i]));
    redisx::Reply u = redis_.command(unlink);
    expect_not_error(u, "UNLINK");
  } while (cursor != "0");
}

void Publisher::swap(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
                     const std::vector<Event>& events, int64_t version, int64_t now_unix) {
  on_connection(redis_, [&] { swap_unguarded(swaps, patches, events, version, now_unix); });
}

void Publisher::swap_unguarded(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
                               const std::vector<Event>& events, int64_t version,
                               int64_t now_unix) {
  // A FLUSHALL (or restart) while the temporaries were built must not leave a
  // half-swapped Redis under a new version: WATCH makes EXEC do nothing then,
  // and the next replay tick sees meta:snapshot missing and resyncs again.
  Argv watch{"WATCH", std::string(layout::snapshot)};
  for (const auto& s : swaps)
    if (!s.temporary.empty()) watch.push_back(s.temporary);
  redisx::Reply w = redis_.command(watch);
  expect_not_error(w, "WATCH");
  // RENAME live -> aside fails harmlessly (inside EXEC) when live does not exist.
  std::vector<std::string> aside;
  size_t queued = 0;
  redis_.append({"MULTI"});
  std::vector<size_t> must_succeed;  // indexes in the EXEC array
  for (const auto& s : swaps) {
    aside.push_back(s.live + ":old:" + std::to_string(version));
    redis_.append({"RENAME", s.live, aside.back()});
    ++queued;
    if (!s.temporary.empty()) {
      must_succeed.push_back(queued);
      redis_.append({"RENAME", s.temporary, s.live});
      ++queued;
    }
  }
  for (const auto& p : patches)
    for (const auto& command : p.commands) {
      must_succeed.push_back(queued);
      redis_.append_formatted(command);
      ++queued;
    }
  redis_.append(version_bump(version, now_unix));
  ++queued;
  for (const auto& e : events) {
    redis_.append(publish(e, version, now_unix));
    ++queued;
  }
  redis_.append({"EXEC"});
  redisx::Reply exec = read_transaction(redis_, queued);
  if (exec->type == REDIS_REPLY_NIL)
    throw redisx::RedisError("resync swap: redisx::Redis was reset or changed during the build");
  if (exec->type != REDIS_REPLY_ARRAY) throw redisx::RedisError("EXEC: unexpected reply");
  for (size_t i : must_succeed) {
    const redisReply* e = exec->element[i];
    // A temporary that vanished (FLUSHALL during the build) leaves that key
    // empty: report it, the next replay tick sees the gap and resyncs.
    if (e->type == REDIS_REPLY_ERROR) throw redisx::RedisError("resync swap: " + reply_text(e));
  }
  if (aside.empty()) return;
  Argv unlink{"UNLINK"};
  unlink.insert(unlink.end(), aside.begin(), aside.end());
  redisx::Reply u = redis_.command(unlink);
  expect_not_error(u, "UNLINK");
}

}  // namespace ez::snapshot
