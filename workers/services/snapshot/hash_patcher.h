// The resync's writer for a hash that Redis still holds: compare, then write only the
// difference (see the class comment). Its sibling for a hash built anew is hash_loader.h.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redisx/redis.h"
#include "snapshot/hash_loader.h"

namespace ez::snapshot {

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
