// How a resync writes one hash of the snapshot: the fields go to a FieldSink, which either
// loads them into a new temporary hash (HashLoader, here) or patches the live one
// (HashPatcher, hash_patcher.h). Publisher::swap (publisher.h) then makes the result live.
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

}  // namespace ez::snapshot
