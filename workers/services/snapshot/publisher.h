// The Redis side of the snapshot (docs/architecture.md, "The Redis contract"): the key layout, the
// atomic incremental apply, the bulk loader used by a resync and the atomic swap. What goes INTO
// the hashes is built by snapshot/; this file only knows how to get it into Redis safely:
//  - a batch is one MULTI/EXEC (a reader sees all of it or none of it), watched
//    on meta:snapshot so that a FLUSHALL between the check and the write
//    aborts it instead of writing a partial state into an empty Redis;
//  - the version is raised by a "set if greater" script, so it never goes back;
//  - the refresh events are published inside the same EXEC, after the writes.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redisx/redis.h"

namespace ez::snapshot {

namespace layout {
inline constexpr std::string_view providers = "config:providers";
inline constexpr std::string_view keys = "config:keys";
inline constexpr std::string_view masters = "config:masters";
inline constexpr std::string_view bindings = "config:bindings";
inline constexpr std::string_view models = "meta:models";
inline constexpr std::string_view models_meta = "meta:models_meta";
inline constexpr std::string_view features = "meta:features";
// {version, updated_at}: the version of the last change that reached Redis.
// Its absence means "Redis is empty" (start-up, FLUSHALL, restart without data).
inline constexpr std::string_view snapshot = "meta:snapshot";
inline constexpr std::string_view refresh_channel = "dp:config:refresh";
}  // namespace layout

using Argv = std::vector<std::string>;

struct Event {
  std::string resource;    // "keys", "providers", ... or "all"
  std::string active_key;  // the Redis key that changed ("config:keys"), "" for all
};

// What Redis holds now, read before a push.
struct RedisState {
  bool present = false;  // meta:snapshot exists
  int64_t version = 0;
};

enum class ApplyResult {
  applied,
  stale,    // Redis lost data (no meta:snapshot, or older than min_version): resync first
  aborted,  // meta:snapshot changed under the WATCH (a FLUSHALL): retry
};

class Publisher {
 public:
  explicit Publisher(redisx::Redis& redis) : redis_(redis) {}

  [[nodiscard]] RedisState state();
  // meta:snapshot's version and the HLEN of each of `keys`, read in one
  // MULTI/EXEC so they describe the same moment (missing key = 0).
  [[nodiscard]] std::pair<RedisState, std::vector<int64_t>> field_counts(
      const std::vector<std::string>& keys);

  // One atomic batch: checks that Redis still holds at least `min_version`,
  // then MULTI, the commands, the version bump to `version`, one PUBLISH per
  // event, EXEC. Throws RedisError when Redis is down or refuses a command.
  [[nodiscard]] ApplyResult apply(const std::vector<Argv>& commands,
                                  const std::vector<Event>& events, int64_t version,
                                  int64_t min_version, int64_t now_unix);

  // Removes temporary keys left by a resync that died half-way.
  void drop_temporaries();
  // Name of the temporary copy of `live` for the resync of `version`.
  [[nodiscard]] static std::string temporary(std::string_view live, int64_t version);

  struct Swap {
    std::string live;
    std::string temporary;  // empty: the new state of `live` is "no key"
  };
  // Fields of a live hash to overwrite in place (HashPatcher's result).
  struct Patch {
    std::string live;
    std::vector<std::string> commands;  // HSET commands, already in RESP
  };
  // Renames every temporary over its live key in one MULTI/EXEC (the old
  // values are moved aside and UNLINKed afterwards, so the swap itself never
  // frees a large hash while holding Redis), applies the patches' commands in the same
  // MULTI/EXEC, bumps the version, publishes. The patched live keys must have been WATCHed before
  // they were read (HashPatcher does), so that a change to them since makes the whole EXEC do
  // nothing (RedisError) rather than apply a stale patch.
  void swap(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
            const std::vector<Event>& events, int64_t version, int64_t now_unix);

 private:
  ApplyResult apply_watched(const std::vector<Argv>& commands, const std::vector<Event>& events,
                            int64_t version, int64_t min_version, int64_t now_unix);
  void swap_unguarded(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
                      const std::vector<Event>& events, int64_t version, int64_t now_unix);

  redisx::Redis& redis_;
};

// Where a resync sends the fields of one hash: into a new temporary hash
// (HashLoader) or compared with the live hash (HashPatcher).
class FieldSink {
 public:
  virtual ~FieldSink() = default;
  virtual void add(std::string_view field, std::string_view value) = 0;
};

// Streams fields into one hash with pipelining: HSET in chunks of
// `chunk_fields`, at most `max_in_flight` chunks unanswered, so memory stays
// bounded however many fields go in while Redis works in parallel with the
// producer.
class HashLoader : public FieldSink {
 public:
  HashLoader(redisx::Redis& redis, std::string key, size_t chunk_fields = 1000,
             size_t max_in_flight = 4);
  HashLoader(const HashLoader&) = delete;
  HashLoader& operator=(const HashLoader&) = delete;

  void add(std::string_view field, std::string_view value) override;
  // Sends the rest and waits for every reply; returns the number of fields added.
  size_t finish();
  size_t count() const { return count_; }

 private:
  void send();
  void read_one();

  redisx::Redis& redis_;
  std::string key_;
  size_t chunk_fields_, max_in_flight_;
  std::string body_;   // the field/value pairs of the current HSET, in RESP
  size_t fields_ = 0;  // in body_
  size_t in_flight_ = 0;
  size_t count_ = 0;
};

// Compares fields with the live hash instead of writing a new one: WATCH, then
// HMGET in pipelined chunks, keeping only the fields whose value differs or is
// missing, as HSET commands for the resync's one MULTI/EXEC. A resync of a Redis
// that is already (nearly) right then writes almost nothing: building a fresh
// hash of a million fields costs Redis several times what reading it does (every
// field allocated, page faults on the new memory, rehashing as it grows).
class HashPatcher : public FieldSink {
 public:
  // The live hash's field count (HLEN); 0 when it is missing, -1 when `key` is
  // not a hash. Patching is only worth trying on a hash with fields.
  [[nodiscard]] static int64_t live_fields(redisx::Redis& redis, const std::string& key);

  // Sends WATCH `key` at once. Stops collecting (the patch becomes unusable) past
  // `max_changes` changed fields or `max_bytes` of them, so memory stays bounded.
  HashPatcher(redisx::Redis& redis, std::string key, size_t max_changes, size_t max_bytes,
              size_t chunk_fields = 1000, size_t max_in_flight = 4);
  HashPatcher(const HashPatcher&) = delete;
  HashPatcher& operator=(const HashPatcher&) = delete;

  void add(std::string_view field, std::string_view value) override;
  // Waits for every reply. True when the patch makes the live hash equal to what
  // was added: within the limits, and no field in Redis that was not added (those
  // would need an HDEL; the caller rebuilds the hash instead).
  [[nodiscard]] bool finish();
  size_t count() const { return count_; }      // fields added
  size_t changed() const { return changed_; }  // of which differed from Redis
  [[nodiscard]] std::vector<std::string> take_commands() { return std::move(commands_); }

 private:
  struct Chunk {
    std::string data;                       // fields and values, back to back
    std::vector<std::array<size_t, 3>> at;  // field offset, field length, value length
  };
  void send();
  void read_one();
  void keep(std::string_view field, std::string_view value);
  void close_command();

  redisx::Redis& redis_;
  std::string key_;
  int64_t live_fields_ = 0;
  size_t max_changes_, max_bytes_, chunk_fields_, max_in_flight_;
  Chunk filling_;
  std::deque<Chunk> in_flight_;
  size_t count_ = 0, present_ = 0, changed_ = 0, changed_bytes_ = 0;
  bool usable_ = true;
  std::string body_;  // the HSET being filled with changed fields
  size_t body_fields_ = 0;
  std::vector<std::string> commands_;
};

}  // namespace ez::snapshot
